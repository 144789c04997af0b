// Objects taken off each (instance, CPU) queue for processing
// (RW_EV_SEQ_PROCESS events), since the stream began, now and at the end of
// the last interval: the Aggregator's per-queue history
// (CpuQueueRow::processed_objects, and the estimated enqueue rate without
// per-queue counters).
//
// Under steady load every queue has a batch processed every interval, so
// this takes a lifecycle event or more per queue per interval: 65536 at
// 1024 CPUs x 64 instances, in any order. An event finds its queue's count
// as a queue is named: its instance (a few dozen, a table that stays in the
// L1 cache), then its CPU, an index into that instance's counts by CPU (16
// bytes a CPU: 1 MB at 1024 CPUs x 64 instances): one read that may miss
// the cache, where one table of (instance, CPU) keys (24-byte slots, half of
// them empty: 3 MB and more) gave an id, and the id the count, two misses
// one after the other. A CPU number no kernel has (limits::kMaxCpus and
// above), or one far beyond the queues the arrays hold (a crafted
// recording: a high CPU on each of many instances), gets its count in an
// ordered map instead: the arrays hold a few cells a queue, never 128 KB an
// instance.
//
// The queues are also listed in key order, the order the Aggregator merges
// them in; those first seen in an interval are sorted and merged in at its
// end (after a while, none are). A queue is never forgotten, as the counts
// are since the stream began.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "dense_ids.hpp"

namespace rcuwatch {

class ProcessedByQueue {
 public:
  using Key = std::pair<uint64_t, uint32_t>;  // (instance, cpu)

  void add(const Key& key, uint64_t objects);
  // Puts the queues first seen since the last sort() in key order among the
  // others: after the interval's add()s, before the queues are read.
  void sort();
  // The counts now become the last interval's.
  void next_interval();

  // The queues, by place i in key order (after sort()).
  size_t size() const { return queues_.size(); }
  const Key& key(size_t i) const { return queues_[i].key; }
  uint64_t objects(size_t i) const { return count_of(queues_[i]).objects; }
  // At the end of the last interval; nullptr if first seen since.
  const uint64_t* objects_before(size_t i) const {
    return queues_[i].seen_before ? &queues_[i].objects_before : nullptr;
  }

 private:
  struct Count {
    uint64_t objects = 0;  // processed since the stream began
    bool queue = false;    // listed in queues_
  };
  struct Queue {
    Key key;
    uint32_t instance;  // its place in counts_
    uint64_t objects_before = 0;
    bool seen_before = false;
  };
  struct InstanceHash {
    size_t operator()(uint64_t instance) const { return hash_words(instance, 0); }
  };
  // The count of a queue not found in its instance's array: a new queue's
  // (listed then), or one kept in sparse_ (moved into the array if it now
  // reaches its CPU).
  __attribute__((noinline)) Count& count_beyond_array(const Key& key, uint32_t instance);
  const Count& count_of(const Queue& q) const {
    const std::vector<Count>& counts = counts_[q.instance];
    const uint32_t cpu = q.key.second;
    return cpu < counts.size() && counts[cpu].queue ? counts[cpu] : sparse_.find(q.key)->second;
  }
  static constexpr size_t kCellsPerQueue = 8;
  // By instance: its dense id here, then its queues' counts by CPU.
  DenseIds<uint64_t, InstanceHash> instances_;
  std::vector<std::vector<Count>> counts_;
  size_t cells_ = 0;  // of counts_, summed
  // Queues on a CPU beyond their instance's array: limits::kMaxCpus and
  // above, or where the array may not grow that far.
  std::map<Key, Count> sparse_;
  std::vector<Queue> queues_;  // [0, sorted_) in key order, then as first seen
  size_t sorted_ = 0;
};

}  // namespace rcuwatch
