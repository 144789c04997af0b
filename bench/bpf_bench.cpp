#include "bpf_bench.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <ostream>
#include <vector>

#include "baseline.skel.h"
#include "bpf_loader.hpp"
#include "error.hpp"
#include "kallsyms.hpp"
#include "rcuwatch.skel.h"
#include "ringbuf_reader.hpp"
#include "test_run.hpp"
#include "unique_fd.hpp"

namespace rcuwatch::bench {

namespace {

constexpr int kLiveSeqs = 1000;  // in the pending map while every program runs
constexpr int kInstances = 4;
// The seqs the hot-path benchmarks enqueue into and dequeue from: this many
// per instance on the benchmark CPU's queue, as rcu_pending has them (a
// queue has one seq open per grace period in flight), so in tracepoint
// mode's slots (map pending_slots). The other kLiveSeqs seqs sit on queues
// of CPUs no machine here has, in the pending hash.
constexpr int kSeqsPerQueue = 2;
constexpr uint32_t kHashCpuBase = 4096;
// An instance whose benchmark queue has more seqs than slots: the last
// kOverflowSeqs are in the hash (a queue whose processing fell behind).
constexpr uint64_t kOverflowInstance = 0xffff888099990000ull;
constexpr int kOverflowSeqs = 2;
constexpr uint64_t kInstanceBase = 0xffff888012340000ull;
constexpr uint64_t kProcessFn = 0xffffffff81234560ull;
constexpr uint64_t kObject = 0xffff8880aaaa0000ull;
constexpr uint64_t kBytes = 192;
constexpr uint64_t kChurnInstance = 0xffff888077770000ull;  // the process benchmark's seqs
constexpr uint32_t kChurnCpu = 100;  // key CPU of the seqs the process benchmark opens and closes
// Iterations between two drains of the ring buffer. rcuwatch's programs
// force a wakeup on every record once the ring is a quarter full
// (ringbuf_wakeup() in bpf/accounting.bpf.h), which a live rcuwatch answers
// by draining it at once; a benchmark that let the ring sit past a quarter
// would time those wakeups, not the programs. 200 iterations write at most
// 400 records of 80 bytes (32 KB), an eighth of the 256 KB ring.
constexpr int kDrainEvery = 200;
// Stock mode (bpf/stock.bpf.h) follows each object in its objects map: the
// benchmarks cycle through this many, a busy filesystem's worth in flight.
constexpr uint64_t kStockObjects = 4096;
constexpr uint64_t kFreshObjects = 0xffff888100000000ull;  // never placed before
constexpr uint64_t kStockInstance = 0xffff888056780000ull;
constexpr uint64_t kSrcu = 0xffffffff82001000ull;

using Args = std::vector<uint64_t>;

// The tracepoint arguments (kernel/patches/0003), as the
// u64 array raw_tp programs read.
Args enqueue_args(uint64_t inst, uint32_t cpu, uint64_t seq) {
  return {inst, 0, kProcessFn, cpu, seq, kObject, kBytes, RW_WHERE_RADIX};
}
Args dequeue_args(uint64_t inst, uint32_t cpu, uint64_t seq) {
  return {inst, cpu, seq, kObject, kBytes, RW_WHERE_RADIX};
}
Args process_args(uint64_t inst, uint32_t cpu, uint64_t seq) {
  return {inst, cpu, seq, /*nr_radix=*/1, /*nr_list=*/0};
}
uint64_t stock_object(uint64_t i) { return kObject + (i % kStockObjects) * 256; }

struct ProgStats {
  uint64_t run_time_ns = 0;
  uint64_t run_cnt = 0;
};

ProgStats prog_stats(bpf_program* prog) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0)
    throw Error(std::string("bpf_prog_info: ") + std::strerror(errno));
  return {info.run_time_ns, info.run_cnt};
}

// In-kernel ns per run between two readings; 0 when stats are off.
double kernel_ns_per_run(const ProgStats& before, const ProgStats& after) {
  const uint64_t runs = after.run_cnt - before.run_cnt;
  return runs ? double(after.run_time_ns - before.run_time_ns) / double(runs) : 0;
}

// Keeps this thread on one CPU, so BPF_F_TEST_RUN_ON_CPU runs the program
// in the calling context instead of through an IPI
// (net/bpf/test_run.c: bpf_prog_test_run_raw_tp).
class CpuPin {
 public:
  CpuPin() {
    sched_getaffinity(0, sizeof(saved_), &saved_);
    cpu_ = sched_getcpu();
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu_, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0)
      throw Error(std::string("sched_setaffinity: ") + std::strerror(errno));
  }
  ~CpuPin() { sched_setaffinity(0, sizeof(saved_), &saved_); }
  CpuPin(const CpuPin&) = delete;
  CpuPin& operator=(const CpuPin&) = delete;
  int cpu() const { return cpu_; }

 private:
  cpu_set_t saved_{};
  int cpu_ = 0;
};

struct BaselineDeleter {
  void operator()(rcuwatch_bench_baseline* s) const { rcuwatch_bench_baseline__destroy(s); }
};
struct RingBufferDeleter {
  void operator()(ring_buffer* rb) const { ring_buffer__free(rb); }
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Userspace's side of the naive design: every record read and counted.
int count_record(void* ctx, void*, size_t) {
  ++*static_cast<uint64_t*>(ctx);
  return 0;
}

}  // namespace

class BpfBench {
 public:
  BpfBench()
      : stats_fd_(bpf_enable_stats(BPF_STATS_RUN_TIME)),
        loader_(options(), no_symbols_),
        baseline_(rcuwatch_bench_baseline__open_and_load()),
        ringbuf_(bpf_map__fd(loader_.skel().maps.events)) {
    if (!baseline_) throw Error(std::string("cannot load baseline.bpf.c: ") + std::strerror(errno));
    naive_reader_.reset(ring_buffer__new(bpf_map__fd(baseline_->maps.naive_events), count_record,
                                         &naive_records_, nullptr));
    if (!naive_reader_) throw Error(std::string("ring_buffer__new: ") + std::strerror(errno));
    enqueue_ = loader_.program("rcu_pending_enqueue");
    dequeue_ = loader_.program("rcu_pending_dequeue");
    process_ = loader_.program("rcu_pending_process");
    stock_enter_ = loader_.program("test_enqueue_enter");
    stock_cookie_ = loader_.program("test_cookie");
    stock_exit_ = loader_.program("test_enqueue_exit");
    stock_dequeue_ = loader_.program("test_dequeue_exit");
    stock_processing_ = loader_.program("test_processing_enter");
    stock_poll_ = loader_.program("test_poll");
    stock_processing_exit_ = loader_.program("test_processing_exit");
    stock_gp_ = loader_.program("test_gp_observe");
    stock_object_bytes_ = loader_.program("test_object_bytes");
    fill_pending_map();
    fill_stock_objects();
  }

  // The context of a baseline program: the largest any measured program gets.
  static Args baseline_args() { return enqueue_args(kInstanceBase, 0, 1000); }

  // A baseline program, run with that context.
  void drive_baseline(benchmark::State& state, bpf_program* prog) {
    const Args args = baseline_args();
    drive(state, prog, [&](uint64_t) -> const Args& { return args; });
  }

  // The empty program.
  void noop(benchmark::State& state) { drive_baseline(state, baseline_->progs.noop); }

  // One per-CPU array slot incremented: the floor of a counting program.
  void floor(benchmark::State& state) { drive_baseline(state, baseline_->progs.floor_count); }

  // The floor plus a slot of an mmapable array: the two kinds of memory the
  // enqueue and dequeue programs write, and nothing else.
  void floor_two_maps(benchmark::State& state) {
    drive_baseline(state, baseline_->progs.floor_two_maps);
  }

  // The same two writes, the second row found through the first slot's value.
  void floor_dependent(benchmark::State& state) {
    drive_baseline(state, baseline_->progs.floor_dependent);
  }

  // One ring-buffer record per object, drained every kDrainEvery outside
  // the program's timing; the drain's CPU time per record is what userspace
  // pays on top in that design (user_ns), where rcuwatch pays per interval.
  void naive(benchmark::State& state) {
    const Args args = enqueue_args(kInstanceBase, 0, 1000);
    double drain_s = 0;
    auto consume = [&] {
      const double t0 = thread_cpu_seconds();
      ring_buffer__consume(naive_reader_.get());
      drain_s += thread_cpu_seconds() - t0;
    };
    naive_records_ = 0;
    drive(state, baseline_->progs.naive, [&](uint64_t i) -> const Args& {
      if (i % kDrainEvery == 0) consume();
      return args;
    });
    consume();
    if (naive_records_ != uint64_t(state.iterations()))
      state.SkipWithError("the naive program lost records: the ring buffer was too small");
    else if (naive_records_)
      state.counters["user_ns"] = drain_s * 1e9 / double(naive_records_);
  }

  // Enqueue into a seq that already has objects: the per-object hot path.
  void enqueue(benchmark::State& state) {
    drive(state, enqueue_,
          [&](uint64_t i) -> const Args& { return enqueue_live_[i % enqueue_live_.size()]; });
  }

  // The enqueue and dequeue above, each run by turns with the floor program:
  // the two measured over the same seconds. Apart, minutes from each other,
  // the host's drift moved the same binary's ratio from 1.27x to 1.66x.
  void enqueue_by_turns(benchmark::State& state) {
    drive(
        state, enqueue_,
        [&](uint64_t i) -> const Args& { return enqueue_live_[i % enqueue_live_.size()]; },
        baseline_->progs.floor_count);
  }
  void dequeue_by_turns(benchmark::State& state) {
    drive(
        state, dequeue_,
        [&](uint64_t i) -> const Args& { return dequeue_live_[i % dequeue_live_.size()]; },
        baseline_->progs.floor_count);
  }

  // Enqueue into a seq its queue's slots had no room for (in the pending hash).
  void enqueue_overflow(benchmark::State& state) {
    drive(state, enqueue_, [&](uint64_t i) -> const Args& {
      return enqueue_overflow_[i % enqueue_overflow_.size()];
    });
  }

  // Dequeue from a seq that keeps objects (rcu_pending_dequeue()).
  void dequeue(benchmark::State& state) {
    drive(state, dequeue_,
          [&](uint64_t i) -> const Args& { return dequeue_live_[i % dequeue_live_.size()]; });
  }

  // Process a seq that exists: an untimed enqueue opens it (map insert and a
  // SEQ_OPEN record), the timed process takes it (map delete and a
  // SEQ_PROCESS record). The enqueue program's own run-time stats give the
  // cost of opening a seq.
  void process(benchmark::State& state) {
    Args open, take;
    const ProgStats enqueue_before = prog_stats(enqueue_);
    drive(state, process_, [&](uint64_t i) -> const Args& {
      const uint64_t seq = next_churn_seq_ += 4;
      // On the running CPU's queue, as rcu_pending enqueues; an instance of
      // its own keeps these seqs apart from the live ones.
      open = enqueue_args(kChurnInstance, uint32_t(pin_.cpu()), seq);
      take = process_args(kChurnInstance, uint32_t(pin_.cpu()), seq);
      test::run_raw_tp(enqueue_, open, pin_.cpu());
      if (i % kDrainEvery == kDrainEvery - 1) drain();
      return take;
    });
    drain();
    state.counters["open_seq_kernel_ns"] = kernel_ns_per_run(enqueue_before, prog_stats(enqueue_));
  }

  // Stock mode's enqueue of one object into a live seq: three hooks fire
  // (rcu_pending_enqueue's entry, the grace-period cookie taken under the
  // lock, the exit), so kernel_ns is the sum of the three programs per object
  // and the floor is three empty programs.
  void stock_enqueue(benchmark::State& state) {
    stock_enqueue_loop(state, [](uint64_t i) { return stock_object(i); });
  }

  // The same once the objects map is full: more objects queued at once than
  // --max-tracked-objects (processed ones are forgotten with their batch,
  // dequeued ones at their dequeue). Every object is new, and every
  // placement evicts one.
  void stock_enqueue_map_full(benchmark::State& state) {
    auto fresh = [this](uint64_t) { return kFreshObjects + 256 * next_fresh_++; };
    for (uint64_t i = 0; i < options().max_tracked_objects; i++)
      stock_enqueue_one(i, fresh(i));  // untimed: fill the map
    drain();
    stock_enqueue_loop(state, fresh);
  }

  void stock_enqueue_loop(benchmark::State& state, const std::function<uint64_t(uint64_t)>& obj) {
    const std::vector<bpf_program*> progs = {stock_enter_, stock_cookie_, stock_exit_};
    std::vector<ProgStats> before;
    for (bpf_program* p : progs) before.push_back(prog_stats(p));
    try {
      uint64_t i = 0;
      for (auto _ : state) {
        const uint64_t o = obj(i);
        const auto t0 = std::chrono::steady_clock::now();
        stock_enqueue_one(i++, o);
        const auto t1 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
      }
      static const char* const hook_names[] = {"entry_ns", "cookie_ns", "exit_ns"};
      double kernel_ns = 0;
      for (size_t k = 0; k < progs.size(); k++) {
        const double ns = kernel_ns_per_run(before[k], prog_stats(progs[k]));
        state.counters[hook_names[k]] = ns;
        kernel_ns += ns;
      }
      state.counters["kernel_ns"] = kernel_ns;
      state.counters["hooks"] = double(progs.size());
      state.SetItemsProcessed(state.iterations());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

  // Stock mode's processing of a batch (one seq of one object, elapsed):
  // __process_finished_items' entry, the poll that says the grace period is
  // over (the object forgotten: found in the test's fake radix tree and
  // deleted from the objects map), its exit. An untimed enqueue opens the
  // seq first. Per batch of one object.
  void stock_process(benchmark::State& state) {
    const std::vector<bpf_program*> progs = {stock_processing_, stock_poll_,
                                             stock_processing_exit_};
    std::vector<ProgStats> before;
    for (bpf_program* p : progs) before.push_back(prog_stats(p));
    try {
      uint64_t i = 0;
      for (auto _ : state) {
        const uint64_t seq = next_churn_seq_ += 4;
        const uint64_t obj = kFreshObjects + 256 * next_fresh_++;
        test::run_raw_tp(stock_enter_, {kStockInstance, kSrcu, kProcessFn, obj, obj, kBytes},
                         pin_.cpu());
        test::run_raw_tp(stock_cookie_, {kSrcu, seq, kChurnCpu}, pin_.cpu());
        test::run_raw_tp(stock_exit_, {kChurnCpu}, pin_.cpu());
        loader_.skel().bss->rw_test_radix[0] = obj;  // objs.data[0]'s one object
        const auto t0 = std::chrono::steady_clock::now();
        test::run_raw_tp(stock_processing_,
                         {kStockInstance, kSrcu, kChurnCpu, 1, seq, 1, 0, 0, 0, 0, 0}, pin_.cpu());
        test::run_raw_tp(stock_poll_, {kSrcu, seq, 1, kChurnCpu}, pin_.cpu());
        test::run_raw_tp(stock_processing_exit_, {}, pin_.cpu());
        const auto t1 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
        if (++i % kDrainEvery == 0) drain();
      }
      drain();
      double kernel_ns = 0;
      for (size_t k = 0; k < progs.size(); k++)
        kernel_ns += kernel_ns_per_run(before[k], prog_stats(progs[k]));
      state.counters["kernel_ns"] = kernel_ns;
      state.counters["hooks"] = double(progs.size());
      state.SetItemsProcessed(state.iterations());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

  // A grace-period counter read by a stock hook (rcu_gp_init's exit,
  // process_srcu's...): each call sees the next grace period end.
  void stock_gp(benchmark::State& state) {
    Args args;
    drive(state, stock_gp_, [&](uint64_t i) -> const Args& {
      args = {kSrcu, 1000 + 4 * i};
      if (i % kDrainEvery == kDrainEvery - 1) drain();
      return args;
    });
    drain();
  }

  // The size of an enqueued object as the stock modes read it (their entry
  // hook's share that the raw_tp wrappers above leave out: they are handed
  // the size): a real slab object, this task's task_struct, through its page.
  void stock_object_bytes(benchmark::State& state) {
    const Args none;
    drive(state, stock_object_bytes_, [&](uint64_t) -> const Args& { return none; });
  }

  // Stock mode's dequeue: one hook (rcu_pending_dequeue's exit) finds where
  // the object sat in the objects map. An untimed enqueue puts the previous
  // one back, so every dequeue finds its object placed exactly once.
  void stock_dequeue(benchmark::State& state) {
    Args args;
    drive(state, stock_dequeue_, [&](uint64_t i) -> const Args& {
      if (i > 0) stock_enqueue_one(i - 1, stock_object(i - 1));
      args = {kStockInstance, stock_object(i), /*from_all=*/0};
      return args;
    });
    fill_stock_objects();
  }

 private:
  static LoaderOptions options() {
    LoaderOptions o;
    o.for_tests = true;  // no rcu_pending hooks on the host: test runs only
    return o;
  }

  // Times only the BPF_PROG_TEST_RUN call; `args_for(i)` may do untimed work.
  // With `by_turns`, that program runs (untimed) before each run of `prog`,
  // and its in-kernel time is the counter floor_kernel_ns.
  void drive(benchmark::State& state, bpf_program* prog,
             const std::function<const Args&(uint64_t)>& args_for,
             bpf_program* by_turns = nullptr) {
    try {
      const Args turn_args = baseline_args();
      const ProgStats before = prog_stats(prog);
      const ProgStats turn_before = by_turns ? prog_stats(by_turns) : ProgStats{};
      uint64_t i = 0;
      for (auto _ : state) {
        if (by_turns) test::run_raw_tp(by_turns, turn_args, pin_.cpu());
        const Args& args = args_for(i++);
        const auto t0 = std::chrono::steady_clock::now();
        test::run_raw_tp(prog, args, pin_.cpu());
        const auto t1 = std::chrono::steady_clock::now();
        state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
      }
      state.counters["kernel_ns"] = kernel_ns_per_run(before, prog_stats(prog));
      if (by_turns)
        state.counters["floor_kernel_ns"] = kernel_ns_per_run(turn_before, prog_stats(by_turns));
      state.SetItemsProcessed(state.iterations());
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
    }
  }

  // kLiveSeqs seqs in the pending hash, kSeqsPerQueue seqs per instance on
  // the benchmark CPU's queue (slots), and the overflow instance's seqs;
  // opened by the enqueue program itself, then those the benchmarks use
  // given so many objects that the dequeue benchmark never empties one.
  void fill_pending_map() {
    for (int i = 0; i < kLiveSeqs; i++) {
      const uint64_t inst = kInstanceBase + uint64_t(i % kInstances) * 0x1000;
      const uint32_t cpu = kHashCpuBase + uint32_t(i % 64);
      test::run_raw_tp(enqueue_, enqueue_args(inst, cpu, 1000 + 4 * uint64_t(i / 64)), pin_.cpu());
      if (i % kDrainEvery == kDrainEvery - 1) drain();
    }
    // rcu_pending queues on the CPU that enqueues (this_cpu_ptr()), so
    // these objects go to the queue of the CPU the program runs on.
    const uint32_t cpu = uint32_t(pin_.cpu());
    for (int i = 0; i < kInstances * kSeqsPerQueue; i++) {
      const uint64_t inst = kInstanceBase + uint64_t(i % kInstances) * 0x1000;
      const uint64_t seq = 1000 + 4 * uint64_t(i / kInstances);
      enqueue_live_.push_back(enqueue_args(inst, cpu, seq));
      dequeue_live_.push_back(dequeue_args(inst, cpu, seq));
      test::run_raw_tp(enqueue_, enqueue_live_.back(), pin_.cpu());
      keep_from_emptying({inst, seq, cpu, RW_WHERE_RADIX});
    }
    for (int i = 0; i < RW_SEQ_SLOTS + kOverflowSeqs; i++) {
      const Args args = enqueue_args(kOverflowInstance, cpu, 1000 + 4 * uint64_t(i));
      test::run_raw_tp(enqueue_, args, pin_.cpu());
      if (i >= RW_SEQ_SLOTS) enqueue_overflow_.push_back(args);
    }
    drain();
  }

  // Gives the seq `key` 2^40 objects, wherever it is (a slot or the hash).
  void keep_from_emptying(const rw_pending_key& key) {
    const auto fill = [](rw_pending_val& v) {
      v.objects = int64_t(1) << 40;
      v.bytes = v.objects * int64_t(kBytes);
    };
    // One value per queue: its RW_SEQ_SLOTS slots (bpf/accounting.bpf.h).
    const int slots_fd = bpf_map__fd(loader_.skel().maps.pending_slots);
    for (uint32_t i = 0; i < bpf_map__max_entries(loader_.skel().maps.pending_slots); i++) {
      rw_pending_slot queue[RW_SEQ_SLOTS]{};
      if (bpf_map_lookup_elem(slots_fd, &i, queue) != 0) continue;
      for (rw_pending_slot& slot : queue) {
        if (std::memcmp(&slot.key, &key, sizeof key) != 0) continue;
        fill(slot.val);
        if (bpf_map_update_elem(slots_fd, &i, queue, BPF_ANY) != 0)
          throw Error(std::string("pending slots update: ") + std::strerror(errno));
        return;
      }
    }
    const int pending_fd = bpf_map__fd(loader_.skel().maps.pending);
    rw_pending_val val{};
    if (bpf_map_lookup_elem(pending_fd, &key, &val) != 0)
      throw Error("seq " + std::to_string(key.seq) + " in neither the slots nor the pending map");
    fill(val);
    if (bpf_map_update_elem(pending_fd, &key, &val, BPF_EXIST) != 0)
      throw Error(std::string("pending map update: ") + std::strerror(errno));
  }

  // One object through the stock enqueue hooks, into one of kLiveSeqs seqs
  // of the stock instance (the same CPU and seq as its previous visit).
  void stock_enqueue_one(uint64_t i, uint64_t obj) {
    const uint64_t slot = i % kStockObjects % kLiveSeqs;
    const uint32_t cpu = uint32_t(slot % 64);
    const uint64_t seq = 1000 + 4 * (slot / 64);
    test::run_raw_tp(stock_enter_, {kStockInstance, kSrcu, kProcessFn, obj, obj, kBytes},
                     pin_.cpu());
    test::run_raw_tp(stock_cookie_, {kSrcu, seq, cpu}, pin_.cpu());
    test::run_raw_tp(stock_exit_, {cpu}, pin_.cpu());
    if (i % kDrainEvery == kDrainEvery - 1) drain();
  }

  // Every stock object placed, so a dequeue always finds its object.
  void fill_stock_objects() {
    for (uint64_t i = 0; i < kStockObjects; i++) stock_enqueue_one(i, stock_object(i));
    drain();
  }

  void drain() {
    events_.clear();
    ringbuf_.drain(events_);
  }

  CpuPin pin_;
  UniqueFd stats_fd_;  // run-time stats stay on while this is open (BPF_ENABLE_STATS)
  const Kallsyms no_symbols_{"/dev/null"};  // test runs probe no kernel function
  BpfLoader loader_;
  std::unique_ptr<rcuwatch_bench_baseline, BaselineDeleter> baseline_;
  std::unique_ptr<ring_buffer, RingBufferDeleter> naive_reader_;
  uint64_t naive_records_ = 0;
  RingbufReader ringbuf_;
  std::vector<rw_event> events_;
  bpf_program* enqueue_ = nullptr;
  bpf_program* dequeue_ = nullptr;
  bpf_program* process_ = nullptr;
  bpf_program* stock_enter_ = nullptr;
  bpf_program* stock_cookie_ = nullptr;
  bpf_program* stock_exit_ = nullptr;
  bpf_program* stock_dequeue_ = nullptr;
  bpf_program* stock_processing_ = nullptr;
  bpf_program* stock_poll_ = nullptr;
  bpf_program* stock_processing_exit_ = nullptr;
  bpf_program* stock_gp_ = nullptr;
  bpf_program* stock_object_bytes_ = nullptr;
  std::vector<Args> enqueue_live_, dequeue_live_, enqueue_overflow_;
  uint64_t next_churn_seq_ = 1'000'000;
  uint64_t next_fresh_ = 0;
};

void BpfBenchDeleter::operator()(BpfBench* b) const { delete b; }

BpfBenchPtr register_bpf_benchmarks(std::string* why) {
  if (!test::can_load_bpf(why)) return nullptr;
  BpfBenchPtr b(new BpfBench);
  BpfBench* p = b.get();
  const std::pair<const char*, void (BpfBench::*)(benchmark::State&)> all[] = {
      {"bpf/empty_program", &BpfBench::noop},
      {"bpf/floor_program", &BpfBench::floor},
      {"bpf/floor_two_maps", &BpfBench::floor_two_maps},
      {"bpf/floor_dependent", &BpfBench::floor_dependent},
      {"bpf/naive_record_per_object", &BpfBench::naive},
      {"bpf/rcu_pending_enqueue", &BpfBench::enqueue},
      {"bpf/rcu_pending_enqueue_overflow", &BpfBench::enqueue_overflow},
      {"bpf/rcu_pending_dequeue", &BpfBench::dequeue},
      {"bpf/by_turns/enqueue_and_floor", &BpfBench::enqueue_by_turns},
      {"bpf/by_turns/dequeue_and_floor", &BpfBench::dequeue_by_turns},
      {"bpf/rcu_pending_process", &BpfBench::process},
      {"bpf/stock_enqueue", &BpfBench::stock_enqueue},
      {"bpf/stock_enqueue_map_full", &BpfBench::stock_enqueue_map_full},
      {"bpf/stock_dequeue", &BpfBench::stock_dequeue},
      {"bpf/stock_process", &BpfBench::stock_process},
      {"bpf/stock_grace_period", &BpfBench::stock_gp},
      {"bpf/stock_object_bytes", &BpfBench::stock_object_bytes},
  };
  for (const auto& [name, fn] : all)
    // fn = fn: clang 14 cannot capture a structured binding (C++20 allows it).
    benchmark::RegisterBenchmark(name, [p, fn = fn](benchmark::State& s) {
      (p->*fn)(s);
    })->UseManualTime();
  return b;
}

void summarize_bpf(const Results& r, std::ostream& out) {
  auto it = r.find("bpf/empty_program");
  if (it == r.end()) return;
  const RunResult& base = it->second;
  const double base_k = base.counter("kernel_ns");
  out << "BPF programs, per event, " << kLiveSeqs << " seqs in the pending hash, " << kSeqsPerQueue
      << " per instance on the benchmark CPU's queue in slots (in kernel: run_time_ns/run_cnt "
         "of bpf_prog_info; wall: one BPF_PROG_TEST_RUN call)\n";
  if (base_k <= 0)
    out << "  in-kernel times unavailable: BPF_ENABLE_STATS failed (needs CAP_SYS_ADMIN)\n";
  out << "  empty program (baseline): " << duration(base_k) << " in kernel, "
      << duration(base.ns_per_iteration) << " wall\n";
  for (const auto& [name, what] :
       {std::pair{"bpf/floor_program", "floor program (one per-CPU slot incremented)"},
        std::pair{"bpf/floor_two_maps",
                  "two-map floor (a per-CPU slot and an mmapable array's slot incremented)"},
        std::pair{"bpf/floor_dependent",
                  "dependent two-map floor (the same, the array's row read from the per-CPU "
                  "slot)"},
        std::pair{"bpf/naive_record_per_object", "naive design (a ring-buffer record per object)"}})
    if (auto p = r.find(name); p != r.end())
      out << "  " << what << ": " << ratio(p->second.counter("kernel_ns"), base_k)
          << " the empty program (" << duration(p->second.counter("kernel_ns")) << " in kernel)\n";
  auto line = [&](const std::string& what, double kernel_ns, double wall_ns) {
    out << "  " << what << ": " << ratio(kernel_ns, base_k) << " the empty program ("
        << duration(kernel_ns) << " vs " << duration(base_k) << " in kernel, +"
        << duration(kernel_ns - base_k) << ")";
    if (wall_ns > 0)
      out << "; wall " << ratio(wall_ns, base.ns_per_iteration) << " (" << duration(wall_ns)
          << " vs " << duration(base.ns_per_iteration) << ")";
    out << "\n";
  };
  const char* progs[][2] = {{"rcu_pending_enqueue", "enqueue program (live seq)"},
                            {"rcu_pending_enqueue_overflow",
                             "enqueue program (live seq in the hash: its queue's slots taken)"},
                            {"rcu_pending_dequeue", "dequeue program"},
                            {"rcu_pending_process", "process program"}};
  for (const auto& [prog, what] : progs) {
    auto p = r.find(std::string("bpf/") + prog);
    if (p == r.end()) continue;
    line(what, p->second.counter("kernel_ns"), p->second.ns_per_iteration);
    if (p->second.counters.count("open_seq_kernel_ns"))
      line("enqueue program (opening a seq)", p->second.counter("open_seq_kernel_ns"), 0);
  }
  // Stock mode (fentry/kprobe on a kernel without our tracepoints): the same
  // programs' bytecode through raw_tp wrappers, so the trampoline or kprobe
  // itself, which the kernel adds per hook, is not in these figures.
  auto stock = [&](const char* name, const char* what) {
    auto p = r.find(name);
    if (p == r.end()) return;
    const double hooks = std::max(1.0, p->second.counter("hooks"));
    const double k = p->second.counter("kernel_ns");
    out << "  " << what << ": " << ratio(k, hooks * base_k) << " of " << hooks
        << (hooks > 1 ? " empty programs (" : " empty program (") << duration(k) << " vs "
        << duration(hooks * base_k) << " in kernel, +" << duration(k - hooks * base_k) << ")";
    if (p->second.counters.count("entry_ns"))
      out << "; per hook: entry " << duration(p->second.counter("entry_ns")) << ", cookie "
          << duration(p->second.counter("cookie_ns")) << ", exit "
          << duration(p->second.counter("exit_ns"));
    out << "\n";
  };
  stock("bpf/stock_enqueue", "stock mode enqueue, per object (entry + cookie + exit hooks)");
  stock("bpf/stock_enqueue_map_full",
        "stock mode enqueue, objects map full (more queued than --max-tracked-objects: each "
        "placement evicts)");
  stock("bpf/stock_dequeue", "stock mode dequeue, per object (exit hook)");
  stock("bpf/stock_process",
        "stock mode processing, per batch of one object (entry, the poll under the lock, exit; "
        "the object forgotten)");
  stock("bpf/stock_grace_period", "stock mode grace-period counter read, per hook");
  stock("bpf/stock_object_bytes",
        "stock mode size of an enqueued slab object (read through its page; not in the enqueue "
        "figures above)");
}

}  // namespace rcuwatch::bench
