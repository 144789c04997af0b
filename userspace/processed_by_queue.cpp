#include "processed_by_queue.hpp"

#include <algorithm>

#include "limits.hpp"

namespace rcuwatch {

void ProcessedByQueue::add(const Key& key, uint64_t objects) {
  bool fresh;
  const uint32_t instance = instances_.id(key.first, fresh);
  if (__builtin_expect(fresh, 0)) counts_.emplace_back();
  std::vector<Count>& counts = counts_[instance];
  Count* c = key.second < counts.size() ? &counts[key.second] : nullptr;
  if (__builtin_expect(!c || !c->queue, 0)) c = &count_beyond_array(key, instance);
  c->objects += objects;
}

ProcessedByQueue::Count& ProcessedByQueue::count_beyond_array(const Key& key, uint32_t instance) {
  const uint32_t cpu = key.second;
  std::vector<Count>& counts = counts_[instance];
  Count* c = nullptr;
  if (cpu < counts.size()) {
    c = &counts[cpu];
  } else if (cpu < limits::kMaxCpus) {
    const size_t size = std::min<size_t>((cpu / 64 + 1) * 64, limits::kMaxCpus);
    if (cells_ - counts.size() + size <= kCellsPerQueue * queues_.size() + limits::kMaxCpus) {
      cells_ += size - counts.size();
      counts.resize(size);
      c = &counts[cpu];
    }
  }
  if (!c) {
    c = &sparse_[key];
  } else if (!sparse_.empty()) {
    // The queue may have been counted while its CPU was beyond the array.
    const auto sparse = sparse_.find(key);
    if (sparse != sparse_.end()) {
      *c = sparse->second;
      sparse_.erase(sparse);
    }
  }
  if (!c->queue) {
    c->queue = true;
    queues_.push_back({.key = key, .instance = instance});
  }
  return *c;
}

void ProcessedByQueue::sort() {
  const auto first_new = queues_.begin() + ptrdiff_t(sorted_);
  if (first_new == queues_.end()) return;
  const auto by_key = [](const Queue& a, const Queue& b) { return a.key < b.key; };
  std::sort(first_new, queues_.end(), by_key);
  std::inplace_merge(queues_.begin(), first_new, queues_.end(), by_key);
  sorted_ = queues_.size();
}

void ProcessedByQueue::next_interval() {
  for (Queue& q : queues_) {
    q.objects_before = count_of(q).objects;
    q.seen_before = true;
  }
}

}  // namespace rcuwatch
