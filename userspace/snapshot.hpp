// The immutable per-interval view every frontend renders (tui/, exporters/,
// `rcuwatch stat`, reports). Built only by the Aggregator; views never see
// BPF maps or recordings, only this.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
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
// One per pending entry, every interval (16 MB at 262144 entries, beside
// the sample's 12.6 MB at the exporter's peak): the state fills the CPU's
// padding, 56 bytes instead of 64.
struct SeqRow {
  uint64_t instance = 0;
  uint32_t cpu = 0;
  SeqState state = SeqState::WaitingForGracePeriod;
  uint64_t seq = 0;  // 0 for the expired list
  int64_t objects = 0;
  int64_t bytes = 0;
  int64_t list_objects = 0;  // of objects, how many are on the list fallback
  uint64_t age_ns = 0;       // since the first enqueue
};
static_assert(sizeof(SeqRow) == 56);

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
// it and how fast objects entered it. With per-queue counters (BPF map
// queues: live, and recordings of ABI 3 on; Snapshot::queue_rates_exact)
// that is the exact enqueue rate. Without them it is estimated: what the
// pending map gained plus what was taken off for processing
// (RW_EV_SEQ_PROCESS events), i.e. enqueues net of dequeues, missing objects
// processed at once: a lower bound.
struct CpuQueueRow {
  uint64_t instance = 0;
  uint32_t cpu = 0;
  int64_t objects = 0;             // pending now
  uint64_t processed_objects = 0;  // taken off for processing, since the stream began
  double queued_per_sec = 0;       // over the last interval; 0 for the first
  Flow enqueued;                   // exact, since rcuwatch attached (zeros without counters)
};

// A call path that queued memory on an instance: kernel stacks sampled at
// enqueue (bpf/call_sites.bpf.h, about one per call_site_sample_bytes
// enqueued on a CPU), from the caller of rcu_pending outwards. Bytes and
// objects are estimates: each sample stands for what its CPU enqueued since
// the previous one.
struct CallSiteRow {
  uint64_t instance = 0;
  std::string instance_name;
  std::string function;  // the caller of rcu_pending ("rpl_enqueue_path_a")
  std::string path;      // "rpl_enqueue_path_a <- rpl_thread <- kthread": what views show
  std::vector<std::string> frames;  // from that caller outwards, "function+0x1d [module]"
  Counter bytes;                    // estimated, since rcuwatch attached
  Counter objects;
  uint64_t samples = 0;
  double share = 0;             // of the instance's sampled bytes, 0..1
  uint64_t interval_bytes = 0;  // credited in the last interval
  std::vector<std::pair<uint32_t, uint64_t>> cpu_interval_bytes;  // by CPU, the non-zero ones
};

// The OOM killer chose a victim (bpf/oom.bpf.h).
struct OomKill {
  uint64_t time_ns = 0;  // kernel clock; the sample's when the event was lost
  uint32_t pid = 0;      // 0: unknown (the ring buffer dropped the event)
  std::string comm;
  uint32_t cpu = 0;
};

// What rcu_pending held at an OOM kill: the Snapshot sampled right after it
// (the live source samples at once), summed up by capture_oom().
struct OomCapture {
  struct Instance {
    std::string name;
    Flavor flavor = Flavor::Rcu;
    std::string grace_period;
    int64_t bytes = 0;
    int64_t objects = 0;
    int64_t waiting_gp_bytes = 0;  // of bytes, waiting for a grace period
    uint64_t oldest_age_ns = 0;
  };
  struct GracePeriod {
    std::string name;
    Flavor flavor = Flavor::Rcu;
    bool in_progress = false;
    uint64_t running_ns = 0;         // of the grace period in progress
    uint64_t since_last_end_ns = 0;  // 0 if none ended
    int64_t waiting_bytes = 0;       // of its instances, waiting for a grace period
  };
  OomKill kill;
  uint64_t sample_ns = 0;  // when the maps were read
  int64_t pending_bytes = 0;
  int64_t pending_objects = 0;
  int64_t waiting_gp_bytes = 0;
  uint64_t oldest_age_ns = 0;
  std::vector<Instance> instances;  // holding memory, by bytes
  std::vector<GracePeriod> grace_periods;
  std::vector<std::pair<uint32_t, int64_t>> cpu_bytes;  // pending per CPU, the non-zero ones
  std::vector<SeqSummary> seqs;                         // the oldest, at most kMaxOomSeqs
  std::vector<CallSite> call_sites;  // of the instances holding memory, since attach
  std::vector<std::string> firing;   // detectors firing then: "gp_too_long:rpl_srcu"
  // "at the OOM kill of dd (pid 212), 95.3 MiB waited in rcu_pending, 94.1
  // MiB of it for SRCU grace period rpl_srcu that had not ended for 12.3s"
  std::string summary;
};
inline constexpr size_t kMaxOomSeqs = 8;

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
  uint64_t queue_map_full = 0;     // enqueues not counted per queue CPU
  // Call sites (sampling, not counts): samples taken, without a stack (the
  // stack map's hash collided or it is full), not counted (map full).
  uint64_t call_site_samples = 0;
  uint64_t call_site_no_stack = 0;
  uint64_t call_site_map_full = 0;
  // Intervals a remote viewer could not fetch before its exporter let them
  // go (Source::ticks_missed): their lifecycle events are lost.
  uint64_t ticks_missed = 0;
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
  bool queue_rates_exact = false;       // cpu_queues' rates from per-queue counters
  std::vector<GracePeriodStats> grace_periods;
  std::vector<CallSiteRow> call_sites;  // by estimated bytes, descending
  uint64_t call_site_sample_bytes = 0;  // the sampling period; 0: not sampled
  // OOM kills in this interval: the Snapshot is the state right after them.
  std::vector<OomKill> oom_kills;
  uint64_t oom_kills_total = 0;  // since rcuwatch attached
  // Filled by SnapshotStream (after the detectors): one per oom_kills entry,
  // and the latest of the stream so far (for a view's header).
  std::vector<OomCapture> oom_captures;
  std::optional<OomCapture> last_oom;
  // The detectors' verdicts at this sample (detectors.hpp). Filled by
  // SnapshotStream after the Aggregator; empty in a Snapshot built otherwise.
  Detections detections;
};

}  // namespace rcuwatch
