// Small hand-made Snapshots for the view's unit tests.
#pragma once

#include <string>

#include "snapshot.hpp"

namespace rcuwatch::tui::testing {

inline constexpr uint64_t kSecond = 1'000'000'000;

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
  s.totals.processed_objects.per_sec = 1500;
  s.totals.processed_bytes.per_sec = 3 << 20;
  s.totals.list_fallbacks = 2;
  s.totals.list_objects = 40;
  s.cpus = {{0, 1000, 1 << 20, 2 * kSecond, 2},
            {1, 10, 4096, 12 * kSecond, 1},
            {2, 0, 0, 0, 0},
            {3, 1990, 19 << 20, kSecond / 10, 3}};
  auto seq = [](uint64_t instance, std::string name, uint64_t seq, int64_t objects, int64_t bytes,
                uint64_t age_ns, uint32_t cpus, SeqState state) {
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
  };
  s.seqs = {seq(0xa0, "btree_key_cache", 1200, 10, 4096, 12 * kSecond, 1,
                SeqState::WaitingForGracePeriod),
            seq(0xa0, "btree_key_cache", 1204, 1000, 1 << 20, 2 * kSecond, 2,
                SeqState::GracePeriodElapsed),
            seq(0xb0, "kvfree", 0, 1990, 19 << 20, kSecond / 10, 3, SeqState::Expired)};
  InstanceRow a;
  a.instance = 0xa0;
  a.name = "btree_key_cache";
  a.flavor = Flavor::Srcu;
  a.mode = Mode::Process;
  a.pending_objects = 1010;
  a.pending_bytes = (1 << 20) + 4096;
  a.oldest_age_ns = 12 * kSecond;
  a.processed_objects.per_sec = 1500;
  InstanceRow b;
  b.instance = 0xb0;
  b.name = "kvfree";
  b.flavor = Flavor::Rcu;
  b.mode = Mode::Kvfree;
  b.pending_objects = 1990;
  b.pending_bytes = 19 << 20;
  b.oldest_age_ns = kSecond / 10;
  s.instances = {b, a};
  GracePeriodStats rcu;
  rcu.name = "rcu";
  rcu.completed.per_sec = 12.5;
  rcu.last_duration_ns = 25'100'000;
  rcu.since_last_end_ns = kSecond / 10;
  s.grace_periods = {rcu};
  return s;
}

}  // namespace rcuwatch::tui::testing
