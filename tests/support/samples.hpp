// Hand-built Sample entries (what a source hands the aggregator) for unit tests.
#pragma once

#include "sample.hpp"

namespace rcuwatch::test {

inline PendingEntry pending(uint64_t inst, uint64_t seq, uint32_t cpu, uint32_t where,
                            int64_t objects, int64_t bytes, uint64_t first_ns) {
  PendingEntry p;
  p.key.instance = inst;
  p.key.seq = seq;
  p.key.cpu = cpu;
  p.key.where = where;
  p.val.objects = objects;
  p.val.bytes = bytes;
  p.val.first_enqueue_ns = first_ns;
  return p;
}

inline InstanceEntry instance(uint64_t inst, uint64_t srcu, uint64_t process, uint64_t enq_objs,
                              uint64_t enq_bytes, uint64_t proc_objs, uint64_t proc_bytes) {
  InstanceEntry e;
  e.instance = inst;
  e.info.srcu = srcu;
  e.info.process = process;
  e.totals.enqueued_objects = enq_objs;
  e.totals.enqueued_bytes = enq_bytes;
  e.totals.processed_objects = proc_objs;
  e.totals.processed_bytes = proc_bytes;
  return e;
}

}  // namespace rcuwatch::test
