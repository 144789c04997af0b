#include "aggregator_bench.hpp"

#include <algorithm>
#include <numeric>
#include <ostream>
#include <tuple>

#include "aggregator.hpp"
#include "alloc_counter.hpp"
#include "detectors.hpp"
#include "scale_tick.hpp"

namespace rcuwatch::bench {

namespace {

TickShape shape(const benchmark::State& state) { return scale_shape(uint32_t(state.range(0))); }

void set_throughput(benchmark::State& state, const Tick& tick) {
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(tick.sample.pending.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(payload_bytes(tick)));
  state.counters["pending_entries"] = double(tick.sample.pending.size());
}

// The interval a live source would report: each tick one second later.
void advance(Tick& tick) { tick.sample.time_ns += 1'000'000'000; }

void run_update(benchmark::State& state, const TickShape& shape) {
  Tick tick = make_tick(shape);
  const SourceInfo info{"bench", "bench", uint32_t(state.range(0)), {}};
  const SymbolNames names;
  Aggregator agg;
  benchmark::DoNotOptimize(
      agg.update(tick, info, names));  // steady state: a previous sample exists
  for (auto _ : state) {
    advance(tick);
    Snapshot snap = agg.update(tick, info, names);
    benchmark::DoNotOptimize(snap);
  }
  set_throughput(state, tick);

  // One more update, counted: what it allocates, and its peak heap use (the
  // snapshot being built, the maps behind it and the copy kept as the
  // previous sample, minus what the old previous sample gave back).
  const double entries = double(tick.sample.pending.size());
  advance(tick);
  AllocStats a;
  {
    AllocCounter counter;
    Snapshot snap = agg.update(tick, info, names);
    a = counter.stats();
    state.counters["snapshot_bytes_per_entry"] = double(a.live_bytes) / entries;
  }
  state.counters["alloc_bytes_per_entry"] = double(a.allocated_bytes) / entries;
  state.counters["allocs_per_entry"] = double(a.allocations) / entries;
  state.counters["peak_bytes_per_entry"] = double(a.peak_live_bytes) / entries;
  state.counters["input_bytes_per_entry"] = double(payload_bytes(tick)) / entries;
  state.counters["process_events"] =
      shape.process_every_queue ? double(shape.instances) * shape.cpus : 0;
}

void BM_AggregatorUpdate(benchmark::State& state) { run_update(state, shape(state)); }

// The same Tick, but that every queue also had a batch processed in the
// interval (a lifecycle event each: 65536 at 1024 CPUs), as under steady
// load: what the per-queue processed counts cost.
void BM_AggregatorUpdateProcessing(benchmark::State& state) {
  TickShape s = shape(state);
  s.process_every_queue = true;
  run_update(state, s);
}

// The detectors on that update's Snapshot (SnapshotStream runs both every
// interval): compared with the update itself. With `flood`, one fires on
// every CPU: a callback flood everywhere (every queue's enqueue rate far
// over --flood-rate), as on a machine in trouble, when rcuwatch must stay
// cheap; each CPU's episode names its instances and ranks its queues.
void run_detectors(benchmark::State& state, bool flood) {
  Tick tick = make_tick(shape(state));
  const SourceInfo info{"bench", "bench", uint32_t(state.range(0)), {}};
  Aggregator agg;
  agg.update(tick, info, {});
  advance(tick);
  Snapshot snap = agg.update(tick, info, {});
  for (auto& q : snap.cpu_queues) {
    if (!flood) break;
    q.queued_per_sec = 1e6 + double(q.instance % 4096);  // ranked by instance
    if (q.cpu < snap.cpus.size()) snap.cpus[q.cpu].queued_per_sec += q.queued_per_sec;
  }
  DetectorSet detectors;
  benchmark::DoNotOptimize(detectors.evaluate(snap));  // steady state: subjects known
  for (auto _ : state) {
    snap.time_ns += 1'000'000'000;
    Detections d = detectors.evaluate(snap);
    benchmark::DoNotOptimize(d);
  }
  set_throughput(state, tick);
}

void BM_Detectors(benchmark::State& state) { run_detectors(state, false); }
void BM_DetectorsFlood(benchmark::State& state) { run_detectors(state, true); }

// Baseline: the same data volume copied once per interval, into a Tick
// that already has the capacity (as the aggregator's copy into its previous
// sample does), so it measures moving the bytes, not the allocator or page
// faults of fresh memory.
void BM_CopyTick(benchmark::State& state) {
  Tick tick = make_tick(shape(state));
  Tick copy = tick;
  for (auto _ : state) {
    advance(tick);
    copy = tick;
    benchmark::DoNotOptimize(copy);
    benchmark::ClobberMemory();
  }
  set_throughput(state, tick);
  AllocCounter counter;  // a fresh copy, for the memory comparison
  Tick fresh = tick;
  benchmark::DoNotOptimize(fresh);
  state.counters["alloc_bytes_per_entry"] =
      double(counter.stats().allocated_bytes) / double(tick.sample.pending.size());
}

// The row the Snapshot holds for an entry alone.
SeqRow row_of(const PendingEntry& p, uint64_t now_ns) {
  SeqRow r;
  r.instance = p.key.instance;
  r.cpu = p.key.cpu;
  r.seq = p.key.seq;
  r.objects = p.val.objects;
  r.bytes = p.val.bytes;
  r.age_ns = age_ns(now_ns, p.val.first_enqueue_ns);
  return r;
}

// What any update must do at the least, the bound of its ratio to the copy:
// read every pending entry once, in order, and write the SeqRow the
// Snapshot holds for it (Snapshot::seq_cpus), into memory already faulted in.
void BM_RowsFloor(benchmark::State& state) {
  Tick tick = make_tick(shape(state));
  std::vector<SeqRow> rows;
  rows.reserve(tick.sample.pending.size());
  for (auto _ : state) {
    advance(tick);
    rows.clear();
    for (const PendingEntry& p : tick.sample.pending)
      rows.push_back(row_of(p, tick.sample.time_ns));
    benchmark::DoNotOptimize(rows.data());
    benchmark::ClobberMemory();
  }
  set_throughput(state, tick);
}

// The entries' indices in the order the Snapshot holds their rows:
// (instance, seq, expired, CPU), for the floors below.
std::vector<uint32_t> snapshot_order(const std::vector<PendingEntry>& pending) {
  std::vector<uint32_t> order(pending.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const rw_pending_key &x = pending[a].key, &y = pending[b].key;
    return std::tuple(x.instance, x.seq, x.where == RW_WHERE_EXPIRED, x.cpu, a) <
           std::tuple(y.instance, y.seq, y.where == RW_WHERE_EXPIRED, y.cpu, b);
  });
  return order;
}

// The floor again, but with the rows in the order the Snapshot holds them,
// that order given for free (sorted once, before the timing): what putting
// hash-ordered entries in order costs by itself, whatever finds the order.
// Either the entries are read from all over memory (gathered, prefetched
// as far ahead as the update's rows pass does) and the rows written in
// order, or the entries are read in order and each row written where it
// goes (scattered, into a fresh vector, zeroed first as a std::vector must
// be before it is written out of order). Rows of one (seq, CPU) are not
// merged, as in the floor.
void BM_RowsInOrderFloor(benchmark::State& state) {
  Tick tick = make_tick(shape(state));
  const std::vector<PendingEntry>& pending = tick.sample.pending;
  const std::vector<uint32_t> order = snapshot_order(pending);
  constexpr size_t kAhead = 32;
  std::vector<SeqRow> rows;
  rows.reserve(pending.size());
  for (auto _ : state) {
    advance(tick);
    rows.clear();
    const size_t n = order.size();
    for (size_t i = 0; i < n; i++) {
      if (i + kAhead < n) __builtin_prefetch(&pending[order[i + kAhead]]);
      rows.push_back(row_of(pending[order[i]], tick.sample.time_ns));
    }
    benchmark::DoNotOptimize(rows.data());
    benchmark::ClobberMemory();
  }
  set_throughput(state, tick);
}

void BM_RowsScatteredFloor(benchmark::State& state) {
  Tick tick = make_tick(shape(state));
  const std::vector<PendingEntry>& pending = tick.sample.pending;
  std::vector<uint32_t> place(pending.size());  // each entry's row
  {
    const std::vector<uint32_t> order = snapshot_order(pending);
    for (size_t i = 0; i < order.size(); i++) place[order[i]] = uint32_t(i);
  }
  for (auto _ : state) {
    advance(tick);
    std::vector<SeqRow> rows(pending.size());
    for (size_t i = 0; i < pending.size(); i++)
      rows[place[i]] = row_of(pending[i], tick.sample.time_ns);
    benchmark::DoNotOptimize(rows.data());
    benchmark::ClobberMemory();
  }
  set_throughput(state, tick);
}

}  // namespace

void register_aggregator_benchmarks() {
  for (uint32_t cpus : kScaleCpus) {
    benchmark::RegisterBenchmark("aggregator/copy_tick", BM_CopyTick)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/update", BM_AggregatorUpdate)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/update_processing", BM_AggregatorUpdateProcessing)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/rows_floor", BM_RowsFloor)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/rows_in_order_floor", BM_RowsInOrderFloor)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/rows_scattered_floor", BM_RowsScatteredFloor)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/detectors", BM_Detectors)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("aggregator/detectors_flood", BM_DetectorsFlood)
        ->Arg(cpus)
        ->Unit(benchmark::kMillisecond);
  }
}

void summarize_aggregator(const Results& r, std::ostream& out) {
  bool header = false;
  for (uint32_t cpus : kScaleCpus) {
    const std::string arg = std::string("/").append(std::to_string(cpus));  // GCC bug 105329
    auto u = r.find("aggregator/update" + arg);
    auto c = r.find("aggregator/copy_tick" + arg);
    if (u == r.end() || c == r.end()) continue;
    if (!header)
      out << "Aggregator::update, one Tick, CPU time (baseline: copying that Tick; floor: reading "
             "each entry once and writing its row)\n";
    header = true;
    const RunResult& up = u->second;
    const RunResult& cp = c->second;
    const double entries = up.counter("pending_entries");
    out << "  " << describe(scale_shape(cpus)) << ": update "
        << ratio(up.cpu_ns_per_iteration, cp.cpu_ns_per_iteration) << " the copy ("
        << duration(up.cpu_ns_per_iteration) << " vs " << duration(cp.cpu_ns_per_iteration) << "; "
        << duration(up.cpu_ns_per_iteration / entries) << " per entry, "
        << fmt::format("{:.1f}", entries / up.cpu_ns_per_iteration * 1e3) << "M entries/s)\n";
    if (auto f = r.find("aggregator/rows_floor" + arg); f != r.end())
      out << "    floor: " << ratio(f->second.cpu_ns_per_iteration, cp.cpu_ns_per_iteration)
          << " the copy (" << duration(f->second.cpu_ns_per_iteration) << "); update is "
          << ratio(up.cpu_ns_per_iteration, f->second.cpu_ns_per_iteration) << " the floor\n";
    auto g = r.find("aggregator/rows_in_order_floor" + arg);
    auto sc = r.find("aggregator/rows_scattered_floor" + arg);
    if (g != r.end() && sc != r.end()) {
      const double least =
          std::min(g->second.cpu_ns_per_iteration, sc->second.cpu_ns_per_iteration);
      out << "    floor with the rows in the Snapshot's order, that order given for free: "
          << ratio(g->second.cpu_ns_per_iteration, cp.cpu_ns_per_iteration) << " gathered ("
          << duration(g->second.cpu_ns_per_iteration) << "), "
          << ratio(sc->second.cpu_ns_per_iteration, cp.cpu_ns_per_iteration) << " scattered ("
          << duration(sc->second.cpu_ns_per_iteration) << "); update is "
          << ratio(up.cpu_ns_per_iteration, least) << " the lesser\n";
    }
    const double in = up.counter("input_bytes_per_entry");
    out << "    heap per pending entry: " << size(up.counter("alloc_bytes_per_entry"))
        << " allocated (" << ratio(up.counter("alloc_bytes_per_entry"), in) << " the " << size(in)
        << " input; the copy allocates " << size(cp.counter("alloc_bytes_per_entry")) << "), "
        << fmt::format("{:.2f}", up.counter("allocs_per_entry")) << " allocations, peak "
        << size(up.counter("peak_bytes_per_entry")) << " ("
        << ratio(up.counter("peak_bytes_per_entry"), in) << "), snapshot kept "
        << size(up.counter("snapshot_bytes_per_entry")) << "\n";
    if (auto p = r.find("aggregator/update_processing" + arg); p != r.end())
      out << "    with a batch processed on every queue ("
          << fmt::format("{:.0f}", p->second.counter("process_events"))
          << " lifecycle events more): " << duration(p->second.cpu_ns_per_iteration) << ", "
          << ratio(p->second.cpu_ns_per_iteration, up.cpu_ns_per_iteration) << " the update\n";
    auto d = r.find("aggregator/detectors" + arg);
    if (d != r.end())
      out << "    detectors on its Snapshot: "
          << ratio(d->second.cpu_ns_per_iteration, up.cpu_ns_per_iteration) << " the update ("
          << duration(d->second.cpu_ns_per_iteration) << ")\n";
    if (auto f = r.find("aggregator/detectors_flood" + arg); f != r.end())
      out << "    detectors with a callback flood on every CPU: "
          << ratio(f->second.cpu_ns_per_iteration, up.cpu_ns_per_iteration) << " the update ("
          << duration(f->second.cpu_ns_per_iteration) << ")\n";
  }
}

}  // namespace rcuwatch::bench
