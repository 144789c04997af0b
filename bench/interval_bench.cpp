#include "interval_bench.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <ostream>
#include <vector>

#include "aggregator.hpp"
#include "detectors.hpp"
#include "error.hpp"
#include "map_reader.hpp"
#include "scale_tick.hpp"
#include "test_run.hpp"
#include "unique_fd.hpp"
#include "view_bench.hpp"

namespace rcuwatch::bench {

namespace {

// Page faults this thread has taken (the kernel's minor faults: memory
// first touched).
long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_minflt;
}

UniqueFd create_map(bpf_map_type type, const char* name, size_t key_size, size_t value_size,
                    size_t max_entries) {
  const int fd = bpf_map_create(type, name, uint32_t(key_size), uint32_t(value_size),
                                uint32_t(max_entries), nullptr);
  if (fd < 0) throw Error(std::string("bpf_map_create ") + name + ": " + std::strerror(errno));
  return UniqueFd(fd);
}

template <typename K, typename V>
void fill(int fd, const std::vector<K>& keys, const std::vector<V>& values) {
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  uint32_t count = uint32_t(keys.size());
  if (count && bpf_map_update_batch(fd, keys.data(), values.data(), &count, &opts) != 0)
    throw Error(std::string("bpf_map_update_batch: ") + std::strerror(errno));
}

// Fills a map with (key_of(e), value_of(e)) for every element of `from`.
template <typename T, typename KeyOf, typename ValueOf>
void fill(int fd, const std::vector<T>& from, KeyOf key_of, ValueOf value_of) {
  std::vector<decltype(key_of(from[0]))> keys;
  std::vector<decltype(value_of(from[0]))> values;
  for (const T& e : from) {
    keys.push_back(key_of(e));
    values.push_back(value_of(e));
  }
  fill(fd, keys, values);
}

// One bpf_map_lookup_batch call of a whole pending hash into buffers with
// room for every entry.
class RawBatch {
 public:
  explicit RawBatch(size_t entries) : keys_(entries + 1), vals_(entries + 1) {}
  void read(int fd, size_t expect) {
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    uint64_t token = 0;
    uint32_t count = uint32_t(keys_.size());
    const int err =
        bpf_map_lookup_batch(fd, nullptr, &token, keys_.data(), vals_.data(), &count, &opts);
    if (err != -ENOENT) throw Error(std::string("lookup_batch: ") + std::strerror(-err));
    if (count != expect) throw Error("raw lookup_batch read a different number of entries");
    benchmark::DoNotOptimize(keys_.data());
  }

 private:
  std::vector<rw_pending_key> keys_;
  std::vector<rw_pending_val> vals_;
};

// The maps of bpf/rcuwatch.bpf.c holding one Tick of scale_shape(cpus). The
// pending map has room for twice its entries (rcuwatch's
// --max-pending-entries sized for seqs opening while others close).
struct ScaleMaps {
  size_t entries = 0;
  UniqueFd pending, instances, instance_slots, totals, grace_periods, stats;
  // Tracepoint mode's layout of the same entries, as the BPF side lays
  // them out (bpf/accounting.bpf.h, pending slots): each instance owns a
  // row (its home row, else the next free one), a seq takes one of its
  // queue's RW_SEQ_SLOTS slots, queues in map pending_slots tile by tile
  // of CPUs, row by row, CPU by CPU, list and expired seqs keyed by their tagged instance; a
  // seq that finds its queue's slots taken, or whose instance found every
  // row taken, goes to the pending hash beside them (none in this shape:
  // 4 seqs per queue, 64 instances).
  UniqueFd slots, slot_pending;
  size_t slot_count = 0, in_slot_hash = 0;

  explicit ScaleMaps(uint32_t cpus) {
    const Tick t = make_tick(scale_shape(cpus));
    const Sample& s = t.sample;
    entries = s.pending.size();
    pending = create_map(BPF_MAP_TYPE_HASH, "pending", sizeof(rw_pending_key),
                         sizeof(rw_pending_val), 2 * entries);
    instances = create_map(BPF_MAP_TYPE_HASH, "instances", sizeof(uint64_t),
                           sizeof(rw_instance_info), 1024);
    instance_slots =
        create_map(BPF_MAP_TYPE_HASH, "instance_slots", sizeof(uint64_t), sizeof(uint32_t), 1024);
    totals = create_map(BPF_MAP_TYPE_PERCPU_ARRAY, "totals", sizeof(uint32_t),
                        sizeof(rw_instance_totals), 1024);
    grace_periods =
        create_map(BPF_MAP_TYPE_HASH, "grace_periods", sizeof(uint64_t), sizeof(rw_gp_stats), 256);
    stats = create_map(BPF_MAP_TYPE_PERCPU_ARRAY, "stats", sizeof(uint32_t), sizeof(uint64_t),
                       RW_STAT_NR);

    fill(
        pending.get(), s.pending, [](const PendingEntry& p) { return p.key; },
        [](const PendingEntry& p) { return p.val; });

    // Rows claimed in order of first sight, a queue's slots taken in
    // order: where the BPF side would have put them.
    std::map<uint64_t, uint32_t> row_of;
    std::vector<uint64_t> owners(RW_SLOT_ROWS);
    for (const auto& i : s.instances) {
      const uint32_t home = rw_slot_home_row(i.instance);
      for (uint32_t k = 0; k < RW_SLOT_ROWS; k++) {
        const uint32_t row = (home + k) % RW_SLOT_ROWS;
        if (owners[row]) continue;
        owners[row] = i.instance;
        row_of.emplace(i.instance, row);
        break;
      }
    }
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> taken;  // (CPU, row) -> slots
    std::vector<uint32_t> indexes;
    std::vector<rw_pending_slot> values;
    std::vector<PendingEntry> in_hash;
    for (const PendingEntry& p : s.pending) {
      const auto row = row_of.find(p.key.instance);
      uint32_t* j = row == row_of.end() ? nullptr : &taken[{p.key.cpu, row->second}];
      if (!j || *j == RW_SEQ_SLOTS) {
        in_hash.push_back(p);
        continue;
      }
      indexes.push_back(rw_queue_index(p.key.cpu, row->second) * RW_SEQ_SLOTS + (*j)++);
      rw_pending_slot slot{0, p.key, p.val};
      if (p.key.where == RW_WHERE_LIST) slot.key.instance |= RW_SLOT_TAG_LIST;
      if (p.key.where == RW_WHERE_EXPIRED) slot.key.instance |= RW_SLOT_TAG_EXPIRED;
      values.push_back(slot);
    }
    slot_count = (size_t(cpus) + RW_SLOT_TILE_CPUS - 1) / RW_SLOT_TILE_CPUS * RW_SLOT_TILE_CPUS *
                 RW_SLOT_ROWS * RW_SEQ_SLOTS;
    in_slot_hash = in_hash.size();
    LIBBPF_OPTS(bpf_map_create_opts, mmapable, .map_flags = BPF_F_MMAPABLE);
    const int slots_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pending_slots", sizeof(uint32_t),
                                        sizeof(rw_pending_slot), uint32_t(slot_count), &mmapable);
    if (slots_fd < 0)
      throw Error(std::string("bpf_map_create pending_slots: ") + std::strerror(errno));
    slots = UniqueFd(slots_fd);
    fill(slots.get(), indexes, values);
    // rcuwatch's default --max-pending-entries, or twice what it holds.
    slot_pending = create_map(BPF_MAP_TYPE_HASH, "pending", sizeof(rw_pending_key),
                              sizeof(rw_pending_val), std::max<size_t>(65536, 2 * in_hash.size()));
    fill(
        slot_pending.get(), in_hash, [](const PendingEntry& p) { return p.key; },
        [](const PendingEntry& p) { return p.val; });

    const size_t cpus_possible = size_t(libbpf_num_possible_cpus());
    std::vector<uint64_t> addrs;
    std::vector<uint32_t> slots;
    std::vector<rw_instance_info> infos;
    std::vector<rw_instance_totals> per_cpu;  // 96 bytes: already 8-aligned
    for (const auto& i : s.instances) {
      slots.push_back(uint32_t(addrs.size()));
      addrs.push_back(i.instance);
      infos.push_back(i.info);
      for (size_t c = 0; c < cpus_possible; c++)
        per_cpu.push_back(c ? rw_instance_totals{} : i.totals);
    }
    fill(instances.get(), addrs, infos);
    fill(instance_slots.get(), addrs, slots);
    fill(totals.get(), slots, per_cpu);
    fill(
        grace_periods.get(), s.grace_periods, [](const GpEntry& g) { return g.key; },
        [](const GpEntry& g) { return g.stats; });
  }

  SampleMaps fds() const {
    SampleMaps m;
    m.pending = pending.get();
    m.instances = instances.get();
    m.instance_slots = instance_slots.get();
    m.totals = totals.get();
    m.grace_periods = grace_periods.get();
    m.stats = stats.get();
    return m;
  }

  SampleMaps slot_fds() const {
    SampleMaps m = fds();
    m.pending = slot_pending.get();
    m.pending_slots = slots.get();
    m.pending_slot_count = slot_count;
    return m;
  }
};

}  // namespace

class IntervalBench {
 public:
  // Filled on first use and kept for the run: both sides of a ratio read the same map.
  const ScaleMaps& maps(uint32_t cpus) {
    auto& m = maps_[cpus];
    if (!m) m = std::make_unique<ScaleMaps>(cpus);
    return *m;
  }

  // The floor: one bpf_map_lookup_batch call into buffers with room for
  // every entry, nothing done with what it returns.
  void raw_lookup_batch(benchmark::State& state) {
    try {
      const ScaleMaps& m = maps(uint32_t(state.range(0)));
      RawBatch batch(m.entries);
      for (auto _ : state) batch.read(m.pending.get(), m.entries);
      state.counters["pending_entries"] = double(m.entries);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

  // The floor of tracepoint mode's read: copying the pending slots' bytes
  // out of their mmap and one raw batch read of the hash beside them,
  // nothing done with either.
  void raw_copy_slots(benchmark::State& state) {
    try {
      const ScaleMaps& m = maps(uint32_t(state.range(0)));
      const size_t bytes = m.slot_count * sizeof(rw_pending_slot);
      const size_t page = size_t(sysconf(_SC_PAGESIZE));
      const size_t mapped = (bytes + page - 1) / page * page;
      void* p = mmap(nullptr, mapped, PROT_READ, MAP_SHARED, m.slots.get(), 0);
      if (p == MAP_FAILED) throw Error(std::string("mmap: ") + std::strerror(errno));
      std::vector<char> out(bytes);
      RawBatch batch(m.in_slot_hash);
      for (auto _ : state) {
        std::memcpy(out.data(), p, bytes);
        benchmark::DoNotOptimize(out.data());
        batch.read(m.slot_pending.get(), m.in_slot_hash);
      }
      munmap(p, mapped);
      state.counters["pending_entries"] = double(m.entries);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

  // rcuwatch's read: MapReader over the five maps, into a Sample; the
  // pending seqs in the hash (stock modes) or in the slots (tracepoint mode).
  void read_sample(benchmark::State& state) { read_of(state, false); }
  void read_slots(benchmark::State& state) { read_of(state, true); }

  void read_of(benchmark::State& state, bool slots) {
    try {
      const ScaleMaps& m = maps(uint32_t(state.range(0)));
      MapReader reader(slots ? m.slot_fds() : m.fds());
      size_t n = 0;
      for (auto _ : state) {
        Sample s = reader.read();
        n = s.pending.size();
        benchmark::DoNotOptimize(s);
      }
      if (n != m.entries) throw Error("MapReader read a different number of entries");
      state.counters["pending_entries"] = double(m.entries);
      if (slots) return;
      if (!reader.pending_stats().batch) throw Error("MapReader did not use batch lookups");
      state.counters["syscalls"] = double(reader.pending_stats().syscalls);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

  // The interval as `top` and the exporter run it: read, aggregate, the
  // detectors, one frame, one /metrics body. Stock modes' layout (the
  // pending hash) and tracepoint mode's (the slots).
  void whole(benchmark::State& state) { whole_of(state, false, false); }
  void whole_slots(benchmark::State& state) { whole_of(state, true, false); }
  // Tracepoint mode under steady load: besides the maps, every queue had a
  // batch processed in the interval, one RW_EV_SEQ_PROCESS each (65536 at
  // 1024 CPUs). The events are copied into each Tick, as the ring buffer's
  // read copies them out.
  void whole_slots_processing(benchmark::State& state) { whole_of(state, true, true); }

  void whole_of(benchmark::State& state, bool slots, bool processing) {
    try {
      const uint32_t cpus = uint32_t(state.range(0));
      const ScaleMaps& m = maps(cpus);
      std::vector<rw_event> events;
      if (processing) {
        TickShape shape = scale_shape(cpus);
        shape.process_every_queue = true;
        events = make_tick(shape).events;
      }
      MapReader reader(slots ? m.slot_fds() : m.fds());
      Aggregator agg;
      DetectorSet detectors;  // SnapshotStream runs them on every Snapshot
      IntervalViews views;
      const SourceInfo info{"bench", "bench", cpus, {}};
      const SymbolNames names;
      // The maps' clock, a second an interval (as the aggregator benchmarks):
      // not this machine's uptime, which would make the entries' ages, and
      // so what the detectors find, depend on how long ago it booted, and
      // the rates on how long an iteration takes.
      uint64_t now_ns = kScaleTickNs;
      Tick first;
      first.sample = reader.read();
      first.sample.time_ns = now_ns;
      detectors.evaluate(agg.update(first, info, names));  // steady state: a previous sample
      const long faults_before = minor_faults();
      for (auto _ : state) {
        Tick tick;
        tick.events = events;
        tick.sample = reader.read();
        tick.sample.time_ns = now_ns += 1'000'000'000;
        Snapshot snap = agg.update(tick, info, names);
        snap.detections = detectors.evaluate(snap);
        std::vector<SeqRow>().swap(snap.seq_cpus);  // SeqCpuRows::Drop, as top and exporter
        benchmark::DoNotOptimize(views.top_frame(snap));
        benchmark::DoNotOptimize(views.metrics_body(snap));
      }
      state.counters["page_faults"] = benchmark::Counter(double(minor_faults() - faults_before),
                                                         benchmark::Counter::kAvgIterations);
      state.counters["pending_entries"] = double(m.entries);
      state.counters["events"] = double(events.size());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

 private:
  std::map<uint32_t, std::unique_ptr<ScaleMaps>> maps_;
};

void IntervalBenchDeleter::operator()(IntervalBench* b) const { delete b; }

IntervalBenchPtr register_interval_benchmarks(std::string* why) {
  if (!test::can_load_bpf(why)) return nullptr;
  IntervalBenchPtr b(new IntervalBench);
  IntervalBench* p = b.get();
  const std::pair<const char*, void (IntervalBench::*)(benchmark::State&)> all[] = {
      {"maps/raw_lookup_batch", &IntervalBench::raw_lookup_batch},
      {"maps/read_sample", &IntervalBench::read_sample},
      {"interval/whole", &IntervalBench::whole},
      {"maps/raw_copy_slots", &IntervalBench::raw_copy_slots},
      {"maps/read_slots", &IntervalBench::read_slots},
      {"interval/whole_slots", &IntervalBench::whole_slots},
      {"interval/whole_slots_processing", &IntervalBench::whole_slots_processing},
  };
  for (uint32_t cpus : kScaleCpus)
    for (const auto& [name, fn] : all)  // fn = fn: as in bpf_bench.cpp, for clang 14
      benchmark::RegisterBenchmark(name, [p, fn = fn](benchmark::State& s) { (p->*fn)(s); })
          ->Arg(cpus)
          ->Unit(benchmark::kMillisecond);
  return b;
}

void summarize_interval(const Results& r, std::ostream& out, const char* malloc) {
  bool header = false;
  for (uint32_t cpus : kScaleCpus) {
    const std::string arg = std::string("/").append(std::to_string(cpus));  // GCC bug 105329
    auto raw = r.find("maps/raw_lookup_batch" + arg);
    auto read = r.find("maps/read_sample" + arg);
    if (raw == r.end() || read == r.end()) continue;
    if (!header)
      out << "Reading the maps: MapReader::read of the five maps (baseline: one raw "
             "bpf_map_lookup_batch of the pending map)\n";
    header = true;
    const double entries = read->second.counter("pending_entries");
    out << "  " << describe(scale_shape(cpus)) << ": "
        << ratio(read->second.cpu_ns_per_iteration, raw->second.cpu_ns_per_iteration)
        << " the raw read (" << duration(read->second.cpu_ns_per_iteration) << " vs "
        << duration(raw->second.cpu_ns_per_iteration) << "; "
        << duration(read->second.cpu_ns_per_iteration / entries) << " per entry, "
        << read->second.counter("syscalls") << " batch calls for the pending map)\n";
  }
  header = false;
  for (uint32_t cpus : kScaleCpus) {
    const std::string arg = std::string("/").append(std::to_string(cpus));  // GCC bug 105329
    auto raw = r.find("maps/raw_copy_slots" + arg);
    auto read = r.find("maps/read_slots" + arg);
    if (raw == r.end() || read == r.end()) continue;
    if (!header)
      out << "Reading the maps, tracepoint mode: MapReader::read of the pending slots and the "
             "hash beside them (baseline: memcpy of the slots' mmap + a raw "
             "bpf_map_lookup_batch of the hash)\n";
    header = true;
    const double entries = read->second.counter("pending_entries");
    out << "  " << describe(scale_shape(cpus)) << ": "
        << ratio(read->second.cpu_ns_per_iteration, raw->second.cpu_ns_per_iteration)
        << " the raw reads (" << duration(read->second.cpu_ns_per_iteration) << " vs "
        << duration(raw->second.cpu_ns_per_iteration) << "; "
        << duration(read->second.cpu_ns_per_iteration / entries) << " per entry)\n";
  }
  header = false;
  for (uint32_t cpus : kScaleCpus) {
    auto w = r.find("interval/whole/" + std::to_string(cpus));
    if (w == r.end()) continue;
    if (!header)
      out << "The whole interval on one thread: read the maps, Aggregator::update, the "
             "detectors, one top frame, one /metrics body ("
          << malloc << ")\n";
    header = true;
    const double entries = w->second.counter("pending_entries");
    out << "  " << describe(scale_shape(cpus)) << ": " << duration(w->second.cpu_ns_per_iteration)
        << " (" << duration(w->second.cpu_ns_per_iteration / entries) << " per entry, "
        << std::lround(w->second.counter("page_faults")) << " page faults)";
    if (auto ws = r.find("interval/whole_slots/" + std::to_string(cpus)); ws != r.end())
      out << "; tracepoint mode (slots and hash) " << duration(ws->second.cpu_ns_per_iteration)
          << " (" << duration(ws->second.cpu_ns_per_iteration / entries) << " per entry, "
          << std::lround(ws->second.counter("page_faults")) << " page faults)";
    if (auto wp = r.find("interval/whole_slots_processing/" + std::to_string(cpus)); wp != r.end())
      out << "; and with a batch processed on every queue ("
          << std::lround(wp->second.counter("events")) << " lifecycle events) "
          << duration(wp->second.cpu_ns_per_iteration);
    out << "\n";
  }
}

}  // namespace rcuwatch::bench
