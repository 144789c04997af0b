// The immutable per-interval view every frontend renders (tui/, exporters/,
// `rcuwatch stat`, reports). Built only by the Aggregator; views never see
// BPF maps or recordings, only this.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

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
};

struct Counter {
  uint64_t total = 0;
  double per_sec = 0;  // over the last interval
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
  Counter enqueued_objects, enqueued_bytes;
  Counter processed_objects, processed_bytes;
  Counter dequeued_objects, dequeued_bytes;
  uint64_t immediate_objects = 0;
  uint64_t list_objects = 0;  // enqueued on the list fallback
  uint64_t untracked_objects = 0;
};

struct GracePeriodStats {
  std::string name;  // "rcu" or the srcu_struct's symbol
  Flavor flavor = Flavor::Rcu;
  uint64_t key = 0;  // 0 for RCU, else the srcu_struct address
  Counter completed;
  uint64_t last_completed_gp_seq = 0;
  uint64_t last_duration_ns = 0;
  uint64_t duration_sum_ns = 0;    // of the durations counted in duration_hist_us_log2
  uint64_t since_last_end_ns = 0;  // 0 if none seen
  bool in_progress = false;
  std::array<uint64_t, 32> duration_hist_us_log2{};
};

struct Totals {
  int64_t pending_objects = 0;
  int64_t pending_bytes = 0;
  double pending_bytes_per_sec = 0;  // change over the last interval
  uint64_t oldest_age_ns = 0;
  Counter enqueued_objects, enqueued_bytes;
  Counter processed_objects, processed_bytes;
  Counter dequeued_objects, dequeued_bytes;
  uint64_t list_objects = 0;
  uint64_t list_fallbacks = 0;  // list seqs opened (radix allocation failed)
};

// Nothing is lost silently: every drop or inexact count is here.
struct Losses {
  uint64_t ringbuf_drops = 0;      // lifecycle events lost (counters stay exact)
  uint64_t pending_map_full = 0;   // objects counted per instance but not per seq
  uint64_t process_mismatch = 0;   // batches that differed from what was tracked
  uint64_t untracked_objects = 0;  // seen leaving but never seen arriving
  uint64_t events = 0;             // tracepoint hits handled in BPF
};

struct Snapshot {
  uint64_t time_ns = 0;         // monotonic time of the sample (kernel clock)
  uint64_t interval_ns = 0;     // since the previous snapshot
  uint64_t index = 0;           // 0 for the first snapshot
  std::string source;           // "live 6.12.117" or "replay FILE"
  double source_progress = -1;  // replay: fraction of the file read; -1 live
  uint32_t nr_cpus = 0;
  Totals totals;
  Losses losses;
  std::vector<InstanceRow> instances;  // sorted by pending bytes, descending
  std::vector<CpuRow> cpus;            // every CPU, by cpu number
  std::vector<SeqSummary> seqs;        // per instance x seq, oldest first
  std::vector<SeqRow> seq_cpus;        // per instance x cpu x seq
  std::vector<GracePeriodStats> grace_periods;
};

}  // namespace rcuwatch
