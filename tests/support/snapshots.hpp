// Hand-built Snapshots for the views' unit tests (tui/, exporters/): one
// place that knows how to make rows, so a Snapshot change is one edit here.
#pragma once

#include <string>

#include "snapshot.hpp"

namespace rcuwatch::test {

inline constexpr uint64_t kSecond = 1'000'000'000;

inline InstanceRow instance_row(uint64_t instance, std::string name, Flavor flavor, Mode mode,
                                int64_t pending_objects, int64_t pending_bytes,
                                uint64_t oldest_age_ns) {
  InstanceRow row;
  row.instance = instance;
  row.name = std::move(name);
  row.flavor = flavor;
  row.mode = mode;
  row.pending_objects = pending_objects;
  row.pending_bytes = pending_bytes;
  row.oldest_age_ns = oldest_age_ns;
  return row;
}

inline SeqSummary seq_summary(uint64_t instance, std::string name, uint64_t seq, int64_t objects,
                              int64_t bytes, uint64_t age_ns, uint32_t cpus, SeqState state) {
  SeqSummary row;
  row.instance = instance;
  row.instance_name = std::move(name);
  row.seq = seq;
  row.objects = objects;
  row.bytes = bytes;
  row.age_ns = age_ns;
  row.cpus = cpus;
  row.state = state;
  return row;
}

inline SeqRow seq_row(uint64_t instance, uint32_t cpu, uint64_t seq, int64_t objects, int64_t bytes,
                      uint64_t age_ns, SeqState state) {
  SeqRow row;
  row.instance = instance;
  row.cpu = cpu;
  row.seq = seq;
  row.objects = objects;
  row.bytes = bytes;
  row.age_ns = age_ns;
  row.state = state;
  return row;
}

// A grace-period flavor; one is running for `in_progress_ns` unless 0.
inline GracePeriodStats grace_period(std::string name, uint64_t key, uint64_t in_progress_ns) {
  GracePeriodStats g;
  g.name = std::move(name);
  g.key = key;
  g.flavor = key ? Flavor::Srcu : Flavor::Rcu;
  g.in_progress = in_progress_ns > 0;
  g.in_progress_ns = in_progress_ns;
  return g;
}

inline CpuQueueRow cpu_queue(uint64_t instance, uint32_t cpu, double queued_per_sec) {
  CpuQueueRow row;
  row.instance = instance;
  row.cpu = cpu;
  row.queued_per_sec = queued_per_sec;
  return row;
}

// Mid-replay, 20 MiB pending on 4 CPUs in two instances: one SRCU instance
// with a seq waiting 12 s for its grace period, and a kvfree instance whose
// objects wait on the expired list.
inline Snapshot demo_snapshot() {
  Snapshot s;
  s.time_ns = 50 * kSecond;
  s.interval_ns = kSecond;
  s.index = 7;
  s.source = "replay demo.rwrec";
  s.source_progress = 0.5;
  s.nr_cpus = 4;
  s.totals.pending_objects = 3000;
  s.totals.pending_bytes = 20 << 20;
  s.totals.pending_bytes_per_sec = 1 << 20;
  s.totals.oldest_age_ns = 12 * kSecond;
  s.totals.processed.objects.per_sec = 1500;
  s.totals.processed.bytes.per_sec = 3 << 20;
  s.totals.list_fallbacks = 2;
  s.totals.list_objects = 40;
  s.cpus = {{0, 1000, 1 << 20, 2 * kSecond, 2},
            {1, 10, 4096, 12 * kSecond, 1},
            {2, 0, 0, 0, 0},
            {3, 1990, 19 << 20, kSecond / 10, 3}};
  s.seqs = {seq_summary(0xa0, "btree_key_cache", 1200, 10, 4096, 12 * kSecond, 1,
                        SeqState::WaitingForGracePeriod),
            seq_summary(0xa0, "btree_key_cache", 1204, 1000, 1 << 20, 2 * kSecond, 2,
                        SeqState::GracePeriodElapsed),
            seq_summary(0xb0, "kvfree", 0, 1990, 19 << 20, kSecond / 10, 3, SeqState::Expired)};
  InstanceRow a = instance_row(0xa0, "btree_key_cache", Flavor::Srcu, Mode::Process, 1010,
                               (1 << 20) + 4096, 12 * kSecond);
  a.processed.objects.per_sec = 1500;
  InstanceRow b =
      instance_row(0xb0, "kvfree", Flavor::Rcu, Mode::Kvfree, 1990, 19 << 20, kSecond / 10);
  s.instances = {b, a};
  GracePeriodStats rcu;
  rcu.name = "rcu";
  rcu.completed.per_sec = 12.5;
  rcu.last_duration_ns = 25'100'000;
  rcu.since_last_end_ns = kSecond / 10;
  s.grace_periods = {rcu};
  return s;
}

}  // namespace rcuwatch::test
