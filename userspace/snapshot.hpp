// The immutable per-interval view every frontend renders (tui/, exporters/,
// `rcuwatch stat`, reports). Built only by the Aggregator; views never see
// BPF maps or recordings, only this.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "detection.hpp"

extern "C" {
#include "events.h"
}

namespace rcuwatch {

enum class Flavor { Rcu, Srcu };
enum class Mode { Kvfree, CallRcu, Process };
// Whether a seq's grace period is known to have completed (from the flavor's
// latest completed gp_seq): objects still pending after that are waiting to
// be processed, not for RCU.
enum class SeqState { WaitingForGracePeriod, GracePeriodElapsed, Expired };

const char* to_string(Flavor f);
const char* to_string(Mode m);
const char* to_string(SeqState s);

// A lifetime count and its rate over the last interval.
struct Counter {
  uint64_t total = 0;
  double per_sec = 0;
};

// Objects and bytes through one of rcu_pending's doors: in by enqueue, out
// by processing after the grace period, or out by dequeue (reuse before it).
struct Flow {
  Counter objects;
  Counter bytes;
};

// The doors in the order every view lists them. Rows that have the three
// flows (InstanceRow, Totals) name them enqueued, processed, dequeued.
inline constexpr std::array<const char*, 3> kFlowNames = {"enqueued", "processed", "dequeued"};
template <typename Row, typename F>
void for_each_flow(Row& row, F&& f) {
  f(kFlowNames[0], row.enqueued);
  f(kFlowNames[1], row.processed);
  f(kFlowNames[2], row.dequeued);
}

// [low_ns, high_ns): where a duration falls in a DurationHistogram.
struct DurationBucket {
  uint64_t low_ns = 0;
  uint64_t high_ns = 0;
};

// Grace-period durations as the BPF side counts them (bpf/events.h,
// rcuwatch.bpf.c log2_bucket()): bucket i holds [2^i, 2^(i+1)) us, bucket 0
// also < 1 us; the last bucket is open-ended.
struct DurationHistogram {
  static constexpr size_t kBuckets = RW_GP_HIST_BUCKETS;
  std::array<uint64_t, kBuckets> counts{};
  uint64_t sum_ns = 0;  // of the durations counted

  static DurationBucket bucket(size_t i);
  // The upper bound of bucket i in seconds, 2^(i+1) us: Prometheus's `le`.
  static double upper_bound_seconds(size_t i);
  uint64_t count() const;
  // The bucket holding percentile p (0..1]: only the bucket is known.
  // Empty histogram: {0, 0}.
  DurationBucket percentile(double p) const;
};

// One live (instance, cpu, seq): objects queued on that CPU for that cookie.
struct SeqRow {
  uint64_t instance = 0;
  uint32_t cpu = 0;
  uint64_t seq = 0;  // 0 for the expired list
  int64_t objects = 0;
  int64_t bytes = 0;
  int64_t list_objects = 0;  // of objects, how many are on the list fallback
  uint64_t age_ns = 0;       // since the first enqueue
  SeqState state = SeqState::WaitingForGracePeriod;
};

// Pending memory of one grace-period cookie of one instance, summed over CPUs.
struct SeqSummary {
  uint64_t instance = 0;
  std::string instance_name;
  uint64_t seq = 0;
  int64_t objects = 0;
  int64_t bytes = 0;
  uint64_t age_ns = 0;
  uint32_t cpus = 0;  // how many CPUs hold objects of this seq
  SeqState state = SeqState::WaitingForGracePeriod;
};

struct CpuRow {
  uint32_t cpu = 0;
  int64_t objects = 0;
  int64_t bytes = 0;
  uint64_t oldest_age_ns = 0;
  uint32_t seqs_in_flight = 0;
  double queued_per_sec = 0;  // CpuQueueRow::queued_per_sec summed over instances
};

// One CPU's queue of one instance (its rcu_pending_pcpu): objects pending on
// it and how fast objects entered it. Entering = what the pending map gained
// plus what was taken off for processing (RW_EV_SEQ_PROCESS events), so it is
// enqueues net of dequeues, and it misses objects processed at once
// (immediate): a lower bound of the CPU's enqueue rate. Exact per-CPU
// enqueues need per-CPU counters from BPF (the totals map is summed over CPUs).
struct CpuQueueRow {
  uint64_t instance = 0;
  uint32_t cpu = 0;
  int64_t objects = 0;             // pending now
  uint64_t processed_objects = 0;  // taken off for processing, since the stream began
  double queued_per_sec = 0;       // over the last interval; 0 for the first
};

struct InstanceRow {
  uint64_t instance = 0;  // struct rcu_pending * (kernel address)
  std::string name;       // from the process function or the symbol of the instance
  Flavor flavor = Flavor::Rcu;
  uint64_t srcu = 0;
  Mode mode = Mode::Process;
  uint64_t process = 0;
  int64_t pending_objects = 0;
  int64_t pending_bytes = 0;
  uint64_t oldest_age_ns = 0;
  Flow enqueued, processed, dequeued;
  uint64_t immediate_objects = 0;
  uint64_t list_objects = 0;  // enqueued on the list fallback
  uint64_t untracked_objects = 0;
  // Already queued when rcuwatch attached (found by the census): with them,
  // enqueued + preexisting = processed + dequeued + pending.
  uint64_t preexisting_objects = 0;
  uint64_t preexisting_bytes = 0;
};

struct GracePeriodStats {
  std::string name;  // "rcu" or the srcu_struct's symbol
  Flavor flavor = Flavor::Rcu;
  uint64_t key = 0;  // 0 for RCU, else the srcu_struct address
  Counter completed;
  uint64_t last_completed_gp_seq = 0;
  uint64_t last_duration_ns = 0;
  uint64_t since_last_end_ns = 0;  // 0 if none seen
  // A grace period is running: its start was seen after the last end. Its
  // age is what "a grace period running too long" is measured by; 0 when
  // none runs (or its start was not seen: rcuwatch attached during it).
  bool in_progress = false;
  uint64_t in_progress_ns = 0;
  DurationHistogram durations;  // of the grace periods whose start was seen
};

struct Totals {
  int64_t pending_objects = 0;
  int64_t pending_bytes = 0;
  double pending_bytes_per_sec = 0;  // change over the last interval
  uint64_t oldest_age_ns = 0;
  Flow enqueued, processed, dequeued;
  uint64_t list_objects = 0;
  uint64_t list_fallbacks = 0;  // list seqs opened (radix allocation failed)
};

// Nothing is lost silently: every drop or inexact count is here.
struct Losses {
  uint64_t ringbuf_drops = 0;      // lifecycle events lost (counters stay exact)
  uint64_t pending_map_full = 0;   // objects counted per instance but not per seq
  uint64_t process_mismatch = 0;   // batches that differed from what was tracked
  uint64_t untracked_objects = 0;  // seen leaving but never seen arriving
  uint64_t unsized_objects = 0;    // size unknown (stock modes: vmalloc): counted as 0 bytes
  uint64_t nested_enqueues = 0;    // stock modes: enqueues nested too deep to follow
  uint64_t late_placements = 0;    // stock modes: queue known only at enqueue's return (not a loss)
  uint64_t events = 0;             // hook hits handled in BPF
};
bool any_loss(const Losses& l);

// How rcuwatch is attached to the kernel it watches (live), or was when the
// recording was made.
struct Attachment {
  std::string mode;                   // "tracepoint"; empty when a recording does not say
  std::vector<std::string> attached;  // hooks attached, "system:name"
  std::vector<std::string> missing;   // hooks the kernel lacks or refused
};

struct Snapshot {
  uint64_t time_ns = 0;         // monotonic time of the sample (kernel clock)
  uint64_t interval_ns = 0;     // since the previous snapshot
  uint64_t index = 0;           // 0 for the first snapshot
  std::string source;           // "live 6.12.117" or "replay FILE"
  double source_progress = -1;  // replay: fraction of the file read; -1 live
  uint32_t nr_cpus = 0;
  Attachment attachment;
  Totals totals;
  Losses losses;
  std::vector<InstanceRow> instances;   // sorted by pending bytes, descending
  std::vector<CpuRow> cpus;             // every CPU, by cpu number
  std::vector<SeqSummary> seqs;         // per instance x seq, oldest first
  std::vector<SeqRow> seq_cpus;         // per instance x cpu x seq; empty where no view shows
                                        // it: top, exporter, stat lines (SeqCpuRows)
  std::vector<CpuQueueRow> cpu_queues;  // per instance x cpu, by (instance, cpu)
  std::vector<GracePeriodStats> grace_periods;
  // The detectors' verdicts at this sample (detectors.hpp). Filled by
  // SnapshotStream after the Aggregator; empty in a Snapshot built otherwise.
  Detections detections;
};

}  // namespace rcuwatch
