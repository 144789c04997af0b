#include "map_reader.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "error.hpp"
#include "rcuwatch.skel.h"

namespace rcuwatch {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

namespace {

int possible_cpus() {
  static const int n = libbpf_num_possible_cpus();
  if (n <= 0) throw Error("cannot read the number of possible CPUs");
  return n;
}

// Calls f(key, value) for every entry of a hash map. Entries may come and
// go meanwhile (the kernel keeps running): a vanished key is skipped.
template <typename K, typename V, typename F>
void for_each_entry(int fd, F&& f) {
  K key{}, next{};
  K* prev = nullptr;
  V value{};
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) f(next, value);
    key = next;
    prev = &key;
  }
}

// Per-CPU values: libbpf hands one 8-byte-aligned copy per possible CPU.
template <typename V>
std::vector<V> percpu_buffer() {
  static_assert(sizeof(V) % 8 == 0, "per-CPU values are 8-byte aligned");
  return std::vector<V>(possible_cpus());
}

rw_instance_totals sum(const std::vector<rw_instance_totals>& per_cpu) {
  rw_instance_totals t{};
  for (const auto& c : per_cpu) accumulate(t, c);
  return t;
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

Sample read_sample(rcuwatch_bpf& skel) {
  Sample s;

  for_each_entry<rw_pending_key, rw_pending_val>(
      bpf_map__fd(skel.maps.pending), [&](const rw_pending_key& k, const rw_pending_val& v) {
        s.pending.push_back({k, v});
      });

  std::map<uint64_t, rw_instance_info> infos;
  for_each_entry<uint64_t, rw_instance_info>(
      bpf_map__fd(skel.maps.instances),
      [&](uint64_t k, const rw_instance_info& v) { infos[k] = v; });

  int totals_fd = bpf_map__fd(skel.maps.totals);
  auto per_cpu = percpu_buffer<rw_instance_totals>();
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(totals_fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(totals_fd, &next, per_cpu.data()) == 0) {
      InstanceEntry e;
      e.instance = next;
      e.totals = sum(per_cpu);
      if (auto it = infos.find(next); it != infos.end()) e.info = it->second;
      s.instances.push_back(e);
    }
    key = next;
    prev = &key;
  }

  for_each_entry<uint64_t, rw_gp_stats>(bpf_map__fd(skel.maps.grace_periods),
                                        [&](uint64_t k, const rw_gp_stats& v) {
                                          s.grace_periods.push_back({k, v});
                                        });

  for_each_entry<rw_call_site_key, rw_call_site_val>(
      bpf_map__fd(skel.maps.call_sites), [&](const rw_call_site_key& k, const rw_call_site_val& v) {
        s.call_sites.push_back({k, v});
      });
  for_each_entry<rw_queue_key, rw_queue_totals>(
      bpf_map__fd(skel.maps.queues), [&](const rw_queue_key& k, const rw_queue_totals& v) {
        s.queues.push_back({k, v});
      });
  s.has_queue_counts = true;

  int stats_fd = bpf_map__fd(skel.maps.stats);
  auto stat_cpu = percpu_buffer<uint64_t>();
  for (uint32_t i = 0; i < RW_STAT_NR; i++) {
    if (bpf_map_lookup_elem(stats_fd, &i, stat_cpu.data()) != 0) continue;
    for (uint64_t v : stat_cpu) s.stats[i] += v;
  }
  s.time_ns = monotonic_ns();
  return s;
}

}  // namespace rcuwatch
