#include "processed_by_queue.hpp"

#include <algorithm>
#include <numeric>

namespace rcuwatch {

void ProcessedByQueue::add(const Key& key, uint64_t objects) {
  bool fresh;
  const uint32_t id = ids_.id(key, fresh);
  if (fresh) {
    objects_.push_back(0);
    queues_.push_back({.key = key});
  }
  objects_[id] += objects;
}

void ProcessedByQueue::sort() {
  const size_t n = queues_.size();
  if (sorted_ == n) return;
  // The ids in key order: the known ones are already, the new ones are
  // sorted and merged in.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  const auto by_key = [&](uint32_t a, uint32_t b) { return queues_[a].key < queues_[b].key; };
  const auto first_new = order.begin() + ptrdiff_t(sorted_);
  std::sort(first_new, order.end(), by_key);
  std::inplace_merge(order.begin(), first_new, order.end(), by_key);
  // Place p holds what id order[p] held, and becomes its id.
  std::vector<uint32_t> to(n);
  std::vector<uint64_t> objects(n);
  std::vector<Queue> queues(n);
  for (uint32_t p = 0; p < n; p++) {
    to[order[p]] = p;
    objects[p] = objects_[order[p]];
    queues[p] = queues_[order[p]];
  }
  ids_.renumber(to);
  objects_ = std::move(objects);
  queues_ = std::move(queues);
  sorted_ = n;
}

void ProcessedByQueue::next_interval() {
  for (size_t i = 0; i < queues_.size(); i++) {
    queues_[i].objects_before = objects_[i];
    queues_[i].seen_before = true;
  }
}

}  // namespace rcuwatch
