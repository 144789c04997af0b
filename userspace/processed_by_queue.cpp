#include "processed_by_queue.hpp"

#include <algorithm>

namespace rcuwatch {

void ProcessedByQueue::add(const Key& key, uint64_t objects) {
  bool fresh;
  const uint32_t id = ids_.id(key, fresh);
  if (fresh) {
    place_.push_back(uint32_t(queues_.size()));
    queues_.push_back({.key = key, .id = id});
  }
  queues_[place_[id]].objects += objects;
}

void ProcessedByQueue::sort() {
  if (sorted_ == queues_.size()) return;
  const auto by_key = [](const Queue& a, const Queue& b) { return a.key < b.key; };
  const auto first_new = queues_.begin() + ptrdiff_t(sorted_);
  std::sort(first_new, queues_.end(), by_key);
  // The queues before the first new one keep their places.
  const size_t moved =
      size_t(std::lower_bound(queues_.begin(), first_new, *first_new, by_key) - queues_.begin());
  std::inplace_merge(queues_.begin(), first_new, queues_.end(), by_key);
  for (size_t i = moved; i < queues_.size(); i++) place_[queues_[i].id] = uint32_t(i);
  sorted_ = queues_.size();
}

void ProcessedByQueue::next_interval() {
  for (Queue& q : queues_) {
    q.objects_before = q.objects;
    q.seen_before = true;
  }
}

}  // namespace rcuwatch
