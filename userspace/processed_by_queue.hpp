// Objects taken off each (instance, CPU) queue for processing
// (RW_EV_SEQ_PROCESS events), since the stream began, now and at the end of
// the last interval: the Aggregator's per-queue history
// (CpuQueueRow::processed_objects, and the estimated enqueue rate without
// per-queue counters).
//
// Under steady load every queue has a batch processed every interval, so
// this takes a lifecycle event or more per queue per interval: 65536 at
// 1024 CPUs x 64 instances. An event is an open-addressing lookup of its
// queue's dense id and one addition to the queue's count, in an array by
// id (8 bytes a queue: at 65536 queues it stays in the L2 cache, where the
// events, in any order, land at random). The ids are the queues' places in
// key order, the order the Aggregator merges them in: the interval's walk
// reads the arrays in memory order. A queue first seen takes the next id;
// at the end of such an interval (after a while, none) the new queues are
// sorted and merged in, and every queue renumbered. A queue is never
// forgotten, as the counts are since the stream began.
#pragma once

#include <cstddef>
#include <cstdint>
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
  uint64_t objects(size_t i) const { return objects_[i]; }
  // At the end of the last interval; nullptr if first seen since.
  const uint64_t* objects_before(size_t i) const {
    return queues_[i].seen_before ? &queues_[i].objects_before : nullptr;
  }

 private:
  struct Queue {
    Key key;
    uint64_t objects_before = 0;
    bool seen_before = false;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return hash_words(k.first, k.second); }
  };
  DenseIds<Key, KeyHash> ids_;
  // By id, that is [0, sorted_) in key order, then the new ones as first seen.
  std::vector<uint64_t> objects_;  // processed since the stream began
  std::vector<Queue> queues_;
  size_t sorted_ = 0;
};

}  // namespace rcuwatch
