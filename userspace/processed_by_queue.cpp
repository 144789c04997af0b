#include "processed_by_queue.hpp"

#include <algorithm>

namespace rcuwatch {

void ProcessedByQueue::add(const Key& key, uint64_t objects) {
  bool fresh;
  const uint32_t id = ids_.id(key, fresh);
  if (fresh) {
    objects_.push_back(0);
    queues_.push_back({.key = key, .id = id});
  }
  objects_[id] += objects;
}

void ProcessedByQueue::sort() {
  if (sorted_ == queues_.size()) return;
  const auto by_key = [](const Queue& a, const Queue& b) { return a.key < b.key; };
  const auto first_new = queues_.begin() + ptrdiff_t(sorted_);
  std::sort(first_new, queues_.end(), by_key);
  std::inplace_merge(queues_.begin(), first_new, queues_.end(), by_key);
  sorted_ = queues_.size();
}

void ProcessedByQueue::next_interval() {
  for (Queue& q : queues_) {
    q.objects_before = objects_[q.id];
    q.seen_before = true;
  }
}

}  // namespace rcuwatch
