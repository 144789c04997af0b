#include "map_reader.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "error.hpp"
#include "interval_memory.hpp"
#include "rcuwatch.skel.h"

namespace rcuwatch {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

namespace {

// The kernel copies per-CPU values 8-aligned; a vector of these is that layout.
static_assert(sizeof(rw_instance_totals) % 8 == 0);

// The possible CPUs, the number of values a per-CPU map's lookup copies out.
size_t possible_cpus() {
  static const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) throw Error("cannot read the number of possible CPUs");
  return size_t(cpus);
}

std::optional<HashMapReader> reader(int fd, HashMapRead how) {
  if (fd < 0) return std::nullopt;
  return std::optional<HashMapReader>(std::in_place, fd, how);
}

// Calls f(key, value) for every entry of a hash map whose values are V
// (not per CPU).
template <typename K, typename V, typename F>
void for_each_entry(std::optional<HashMapReader>& r, F&& f) {
  if (!r) return;
  r->read([&](const HashMapChunk& c) {
    if (c.key_size != sizeof(K) || c.value_size != sizeof(V) || c.cpus != 1)
      throw Error("BPF map entries are not the size this rcuwatch was built for");
    for (size_t i = 0; i < c.count; i++) {
      K k;
      V v;
      std::memcpy(&k, c.key(i), sizeof k);
      std::memcpy(&v, c.value(i), sizeof v);
      f(k, v);
    }
  });
}

}  // namespace

std::optional<InstanceLabel> read_instance_label(rcuwatch_bpf& skel, uint64_t instance) {
  rw_instance_label raw{};
  if (bpf_map_lookup_elem(bpf_map__fd(skel.maps.instance_labels), &instance, &raw) != 0)
    return std::nullopt;
  InstanceLabel label;
  label.fs.assign(raw.fs, strnlen(raw.fs, sizeof(raw.fs)));
  label.index = raw.index;
  return label;
}

std::optional<std::vector<uint64_t>> read_stack(rcuwatch_bpf& skel, int32_t stack_id) {
  if (stack_id < 0) return std::nullopt;
  std::vector<uint64_t> ips(RW_STACK_DEPTH);
  const uint32_t key = uint32_t(stack_id);
  if (bpf_map_lookup_elem(bpf_map__fd(skel.maps.stacks), &key, ips.data()) != 0)
    return std::nullopt;
  // A stack shorter than the map's depth ends at the first zero.
  ips.erase(std::find(ips.begin(), ips.end(), 0), ips.end());
  return ips;
}

SampleMaps sample_maps(rcuwatch_bpf& skel, QueueCounts queue_counts) {
  SampleMaps m;
  m.queue_counts = queue_counts;
  m.pending = bpf_map__fd(skel.maps.pending);
  if (skel.rodata->slot_cpus) {
    m.pending_slots = bpf_map__fd(skel.maps.pending_slots);
    // One value per queue: its RW_SEQ_SLOTS slots, back to back (bpf/accounting.bpf.h).
    m.pending_slot_count = size_t(bpf_map__max_entries(skel.maps.pending_slots)) *
                           bpf_map__value_size(skel.maps.pending_slots) / sizeof(rw_pending_slot);
  }
  m.instances = bpf_map__fd(skel.maps.instances);
  m.instance_slots = bpf_map__fd(skel.maps.instance_slots);
  m.totals = bpf_map__fd(skel.maps.totals);
  m.grace_periods = bpf_map__fd(skel.maps.grace_periods);
  m.stats = bpf_map__fd(skel.maps.stats);
  m.cpu_state = bpf_map__fd(skel.maps.cpu_state);
  m.cpu_state_size = bpf_map__value_size(skel.maps.cpu_state);
  m.call_sites = bpf_map__fd(skel.maps.call_sites);
  m.queues = bpf_map__fd(skel.maps.queues);
  return m;
}

MapReader::MapReader(const SampleMaps& maps, HashMapRead how)
    : pending_slots_(maps.pending_slots >= 0 ? std::make_unique<PendingSlots>(
                                                   maps.pending_slots, maps.pending_slot_count)
                                             : nullptr),
      pending_(reader(maps.pending, how)),
      instances_(reader(maps.instances, how)),
      instance_slots_(reader(maps.totals >= 0 ? maps.instance_slots : -1, how)),
      grace_periods_(reader(maps.grace_periods, how)),
      call_sites_(reader(maps.call_sites, how)),
      queues_(reader(maps.queues, how)),
      queue_counts_(maps.queue_counts),
      totals_fd_(maps.totals),
      stats_fd_(maps.stats),
      cpu_state_fd_(maps.cpu_state),
      cpu_state_size_(maps.cpu_state_size) {}

const HashMapReadStats& MapReader::pending_stats() const {
  static const HashMapReadStats none;
  return pending_ ? pending_->stats() : none;
}

bool MapReader::read_cpu_state() {
  if (cpu_state_fd_ < 0 || cpu_state_size_ < sizeof(uint64_t)) return false;
  per_cpu_state_.assign(possible_cpus() * state_words(), 0);
  const uint32_t zero = 0;
  return bpf_map_lookup_elem(cpu_state_fd_, &zero, per_cpu_state_.data()) == 0;
}

Sample MapReader::read() {
  Sample s;

  // The hot one: up to hundreds of thousands of entries, copied as they
  // come out of the kernel, straight into the sample.
  s.pending.reserve(last_pending_ + last_pending_ / 8);
  // Faulted in (in huge pages where it can) as much as the last interval
  // filled; the reserve beyond is faulted only if written.
  prepare_for_filling(s.pending.data(), last_pending_ * sizeof(PendingEntry));
  if (pending_) {
    pending_->read([&](const HashMapChunk& c) {
      if (c.key_size != sizeof(rw_pending_key) || c.value_size != sizeof(rw_pending_val) ||
          c.cpus != 1)
        throw Error("BPF pending map entries are not the size this rcuwatch was built for");
      const size_t at = s.pending.size();
      s.pending.resize(at + c.count);
      PendingEntry* out = s.pending.data() + at;
      for (size_t i = 0; i < c.count; i++) {
        std::memcpy(&out[i].key, c.key(i), sizeof(rw_pending_key));
        std::memcpy(&out[i].val, c.value(i), sizeof(rw_pending_val));
      }
    });
  }
  if (pending_slots_) pending_slots_->read(s.pending);
  last_pending_ = s.pending.size();

  std::map<uint64_t, rw_instance_info> infos;
  for_each_entry<uint64_t, rw_instance_info>(
      instances_, [&](uint64_t k, const rw_instance_info& v) { infos[k] = v; });

  // Each CPU's state: the hot path's hits and the first slots' totals.
  const bool have_state = read_cpu_state();
  constexpr size_t kStateTotalsBytes = RW_CPU_STATE_TOTALS * sizeof(rw_instance_totals);
  const bool state_totals = have_state && cpu_state_size_ >= sizeof(uint64_t) + kStateTotalsBytes;
  const size_t state_totals_at = state_totals ? cpu_state_size_ - kStateTotalsBytes : 0;

  // Tracepoint mode: enqueues per (instance, queue CPU) from the per-CPU
  // totals (up to instances x CPUs of them: a vector), corrected below by
  // map queues (rare; modulo 2^64, as the BPF side adds).
  const bool from_totals = queue_counts_ == QueueCounts::TotalsPlusCorrections;
  if (instance_slots_) {
    per_cpu_totals_.resize(possible_cpus());
    for_each_entry<uint64_t, uint32_t>(instance_slots_, [&](uint64_t instance, uint32_t slot) {
      // The first slots count in cpu_state, already read (their map slot
      // stays zero and is not read: at 1024 CPUs, 96 KB a slot).
      if (state_totals && slot < RW_CPU_STATE_TOTALS) {
        for (size_t cpu = 0; cpu < per_cpu_totals_.size(); cpu++)
          std::memcpy(&per_cpu_totals_[cpu],
                      reinterpret_cast<const char*>(&per_cpu_state_[cpu * state_words()]) +
                          state_totals_at + slot * sizeof(rw_instance_totals),
                      sizeof(rw_instance_totals));
      } else if (bpf_map_lookup_elem(totals_fd_, &slot, per_cpu_totals_.data()) != 0) {
        throw Error("BPF totals map has no slot " + std::to_string(slot));
      }
      InstanceEntry e;
      e.instance = instance;
      for (size_t cpu = 0; cpu < per_cpu_totals_.size(); cpu++) {
        const rw_instance_totals& t = per_cpu_totals_[cpu];
        accumulate(e.totals, t);
        if (from_totals && t.enqueued_objects)
          s.queues.push_back(
              {{instance, uint32_t(cpu), 0}, {t.enqueued_objects, t.enqueued_bytes}});
      }
      if (auto it = infos.find(instance); it != infos.end()) e.info = it->second;
      s.instances.push_back(e);
    });
  }

  for_each_entry<uint64_t, rw_gp_stats>(grace_periods_, [&](uint64_t k, const rw_gp_stats& v) {
    s.grace_periods.push_back({k, v});
  });

  for_each_entry<rw_call_site_key, rw_call_site_val>(
      call_sites_, [&](const rw_call_site_key& k, const rw_call_site_val& v) {
        s.call_sites.push_back({k, v});
      });
  std::map<std::pair<uint64_t, uint32_t>, rw_queue_totals> corrections;
  for_each_entry<rw_queue_key, rw_queue_totals>(
      queues_, [&](const rw_queue_key& k, const rw_queue_totals& v) {
        if (from_totals)
          corrections[{k.instance, k.cpu}] = v;
        else
          s.queues.push_back({k, v});
      });
  if (!corrections.empty()) {
    for (QueueEntry& q : s.queues)
      if (auto it = corrections.find({q.key.instance, q.key.cpu}); it != corrections.end()) {
        q.val.enqueued_objects += it->second.enqueued_objects;
        q.val.enqueued_bytes += it->second.enqueued_bytes;
        corrections.erase(it);
      }
    for (const auto& [key, v] : corrections) s.queues.push_back({{key.first, key.second, 0}, v});
    std::erase_if(s.queues, [](const QueueEntry& q) { return q.val.enqueued_objects == 0; });
  }
  s.has_queue_counts = queues_.has_value();

  if (stats_fd_ >= 0) {
    std::vector<uint64_t> per_cpu(possible_cpus(), 0);  // 8-byte values: one slot per CPU
    for (uint32_t i = 0; i < RW_STAT_NR; i++) {
      if (bpf_map_lookup_elem(stats_fd_, &i, per_cpu.data()) != 0) continue;
      for (uint64_t v : per_cpu) s.stats[i] += v;
    }
  }
  if (have_state)
    for (size_t at = 0; at < per_cpu_state_.size(); at += state_words())
      s.stats[RW_STAT_EVENTS] += per_cpu_state_[at];  // events: the value's first word
  s.time_ns = monotonic_ns();
  return s;
}

Sample read_sample(rcuwatch_bpf& skel, QueueCounts queue_counts) {
  return MapReader(sample_maps(skel, queue_counts)).read();
}

}  // namespace rcuwatch
