#include "scale_tick.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace rcuwatch::bench {

namespace {
constexpr uint64_t kInstanceBase = 0xffff888012340000ull;
constexpr uint64_t kSrcuBase = 0xffffffff82001000ull;
constexpr uint64_t kNow = kScaleTickNs;
}  // namespace

TickShape scale_shape(uint32_t cpus) {
  return TickShape{.cpus = cpus, .seqs_per_cpu = 4, .instances = 64};
}

std::string describe(const TickShape& s) {
  return fmt::format("{} entries ({} CPUs x {} seqs x {} instances)", s.pending_entries(), s.cpus,
                     s.seqs_per_cpu, s.instances);
}

Tick make_tick(const TickShape& shape) {
  Tick t;
  Sample& s = t.sample;
  s.time_ns = kNow;
  s.pending.reserve(shape.pending_entries());
  for (uint32_t i = 0; i < shape.instances; i++) {
    const uint64_t inst = kInstanceBase + i * 0x1000;
    const bool srcu = i % 2;
    for (uint32_t cpu = 0; cpu < shape.cpus; cpu++)
      for (uint32_t q = 0; q < shape.seqs_per_cpu; q++) {
        PendingEntry p;
        p.key.instance = inst;
        p.key.cpu = cpu;
        // Poll cookies advance by 4 per grace period (RCU_SEQ_STATE_MASK is 2 bits).
        p.key.seq = 1000 + 4 * uint64_t(q);
        p.key.where = (cpu + q) % 10 == 9 ? RW_WHERE_LIST : RW_WHERE_RADIX;
        if (q == 0 && cpu % 4 == 0) {
          p.key.where = RW_WHERE_EXPIRED;
          p.key.seq = 0;
        }
        p.val.objects = 1 + (cpu + q) % 64;
        p.val.bytes = p.val.objects * 192;
        p.val.first_enqueue_ns = kNow - (shape.seqs_per_cpu - q) * 4'000'000ull;
        s.pending.push_back(p);
      }
    InstanceEntry e;
    e.instance = inst;
    e.info.srcu = srcu ? kSrcuBase + i * 0x100 : 0;
    e.info.process = i % 4 == 0 ? RW_PROCESS_KVFREE : 0xffffffff81234560ull + i;
    e.info.first_seen_ns = kNow / 2;
    e.totals.enqueued_objects = 1'000'000 * (i + 1);
    e.totals.enqueued_bytes = e.totals.enqueued_objects * 192;
    e.totals.processed_objects = e.totals.enqueued_objects / 2;
    e.totals.processed_bytes = e.totals.enqueued_bytes / 2;
    s.instances.push_back(e);
    if (srcu) {
      GpEntry g;
      g.key = e.info.srcu;
      g.stats.started = g.stats.completed = 5000;
      g.stats.last_end_gp_seq = 1000 + 4 * uint64_t(shape.seqs_per_cpu / 2);
      s.grace_periods.push_back(g);
    }
  }
  std::shuffle(s.pending.begin(), s.pending.end(), std::mt19937_64(42));
  GpEntry rcu;
  rcu.stats.started = 20001;
  rcu.stats.completed = 20000;
  rcu.stats.last_end_gp_seq = 1000 + 4 * uint64_t(shape.seqs_per_cpu / 3);
  s.grace_periods.push_back(rcu);
  for (uint32_t i = 0; i < shape.events; i++) {
    rw_event e{};
    e.type = RW_EV_SEQ_OPEN;
    e.cpu = i % shape.cpus;
    e.ts_ns = kNow - i;
    e.instance = kInstanceBase + (i % shape.instances) * 0x1000;
    e.seq = 1000 + 4 * uint64_t(i % shape.seqs_per_cpu);
    e.where = i % 10 == 9 ? RW_WHERE_LIST : RW_WHERE_RADIX;
    t.events.push_back(e);
  }
  if (shape.process_every_queue) {
    for (uint32_t i = 0; i < shape.instances; i++)
      for (uint32_t cpu = 0; cpu < shape.cpus; cpu++) {
        rw_event e{};
        e.type = RW_EV_SEQ_PROCESS;
        e.cpu = cpu;
        e.ts_ns = kNow - cpu;
        e.instance = kInstanceBase + i * 0x1000;
        e.seq = 996;  // the cookie before the oldest pending one
        e.nr_radix = 5;
        e.objects = 5;
        e.bytes = 5 * 192;
        t.events.push_back(e);
      }
    // In the ring buffer, the CPUs' batches interleave.
    std::shuffle(t.events.begin(), t.events.end(), std::mt19937_64(7));
  }
  s.stats[RW_STAT_EVENTS] = 123'456'789;
  return t;
}

size_t payload_bytes(const Tick& t) {
  return t.events.size() * sizeof(rw_event) + t.sample.pending.size() * sizeof(PendingEntry) +
         t.sample.instances.size() * sizeof(InstanceEntry) +
         t.sample.grace_periods.size() * sizeof(GpEntry) + sizeof(t.sample.stats) +
         sizeof(t.sample.time_ns);
}

}  // namespace rcuwatch::bench
