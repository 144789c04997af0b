// What the detectors found, as values carried by every Snapshot
// (Snapshot::detections). Evaluated in one place (detectors.hpp, run by
// SnapshotStream), so `top`, `stat`, the exporter and `report` show the same
// verdicts for the same stream; views only read these.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rcuwatch {

enum class Detector {
  StrandedBytes,       // bytes pending for at least an age, over a limit, for a while
  GracePeriodTooLong,  // a grace period (RCU or one srcu_struct) running longer than a limit
  CallbackFlood,       // objects entering one CPU's queues faster than a limit
  ProcessingLag,       // objects whose grace period elapsed, still not processed after a limit
  ListFallback,        // objects enqueued on the list: the radix allocation failed
  Losses,              // rcuwatch lost events or could not account objects
};
inline constexpr std::array<Detector, 6> kDetectors = {
    Detector::StrandedBytes, Detector::GracePeriodTooLong, Detector::CallbackFlood,
    Detector::ProcessingLag, Detector::ListFallback,       Detector::Losses};

// "stranded_bytes", "gp_too_long", "callback_flood", "processing_lag",
// "list_fallback", "losses": the names in every view and in metrics.
const char* to_string(Detector d);

// What a detector is evaluated on, or what contributed to its value.
enum class SubjectKind { Machine, Instance, GracePeriod, Cpu, Counter };
const char* to_string(SubjectKind k);  // "machine", "instance", "grace_period", "cpu", "counter"

struct Subject {
  SubjectKind kind = SubjectKind::Machine;
  uint64_t key = 0;  // instance address, srcu_struct address (0: RCU), CPU number
  std::string name;  // instance or grace-period name, "cpu 3", a loss counter; "" for the machine
  bool operator==(const Subject& o) const { return kind == o.kind && key == o.key; }
};

// One part of a detector's value: an instance's stranded bytes, a CPU's
// lagging bytes... In the unit of contribution_unit(detector).
struct Contribution {
  Subject where;
  double value = 0;
  std::string detail;  // "srcu rpl_srcu, waiting-gp", "seq 1204"
};

// A call path that queued the memory involved: a kernel stack sampled at
// enqueue (bpf/call_sites.bpf.h), symbolised (Snapshot::call_sites).
struct CallSite {
  std::string function;  // the call path: "bch2_btree_key_cache_drop <- bch2_trans_commit <- ..."
  std::string instance;  // the instance it queued on
  int64_t bytes = 0;     // estimated bytes it queued (in the episode; since attach at an OOM kill)
  double share = 0;      // of the bytes of every call site counted with it, 0..1
};
inline constexpr size_t kMaxCallSites = 5;  // kept per episode or OOM capture, the largest

// Limits, from the command line (cli/main.cpp). A limit of 0 turns its
// detector off. Defaults and what they mean: docs/diagnosing.md.
struct DetectorLimits {
  uint64_t stranded_age_ns = 1'000'000'000;   // --stranded-age: pending this long is stranded
  int64_t stranded_bytes = int64_t{1} << 20;  // --stranded-bytes
  uint64_t stranded_for_ns = 2'000'000'000;   // --stranded-for: held this long before firing
  uint64_t gp_ns = 1'000'000'000;             // --gp-limit
  double flood_objects_per_sec = 10'000;      // --flood-rate, per CPU
  uint64_t lag_ns = 1'000'000'000;            // --lag-limit
  uint64_t list_fallback_objects = 1;         // --list-fallback-objects, per interval
  uint64_t losses = 1;                        // --loss-limit, per interval
};

// The limit a detector's value is compared with, in its unit; 0: off.
double limit_of(Detector d, const DetectorLimits& limits);
// Units of a detector's value and of its contributions: "bytes", "ns",
// "objects/s", "objects", "events".
const char* value_unit(Detector d);
const char* contribution_unit(Detector d);

// A run of samples where a detector's condition held for one subject.
// Times are the monotonic clock of the samples (Snapshot::time_ns).
struct DetectorEpisode {
  Detector detector = Detector::StrandedBytes;
  Subject subject;
  double limit = 0;
  uint64_t onset_ns = 0;   // first sample where the condition held
  uint64_t firing_ns = 0;  // first sample it fired (later than onset only with --stranded-for)
  uint64_t end_ns = 0;     // first sample where it had cleared; 0 while it holds
  double peak = 0;         // highest value, in value_unit()
  uint64_t peak_at_ns = 0;
  std::vector<Contribution> at_peak;  // largest first, at most kMaxContributions
  // Everything involved over the whole episode, sorted.
  std::vector<std::string> instances;
  std::vector<std::string> grace_periods;
  std::vector<uint32_t> cpus;
  std::vector<CallSite> call_sites;  // queued on the episode's subject while it held

  uint64_t duration_ns(uint64_t now_ns) const {
    const uint64_t end = end_ns ? end_ns : now_ns;
    return end > onset_ns ? end - onset_ns : 0;
  }
};
inline constexpr size_t kMaxContributions = 8;

// One detector on one subject at this sample.
struct DetectorState {
  Detector detector = Detector::StrandedBytes;
  Subject subject;
  double value = 0;  // at this sample, in value_unit()
  bool firing = false;
  uint64_t episodes = 0;                    // that fired so far, the current one included
  std::vector<Contribution> contributions;  // at this sample, largest first (while it holds)
  // While the condition holds (firing or not yet). Shared by the states of
  // successive samples while no sample changes it: an episode on each CPU
  // of a big machine is not copied every interval.
  std::shared_ptr<const DetectorEpisode> episode;
};

struct Detections {
  bool evaluated = false;  // by a DetectorSet; false in a Snapshot built otherwise (tests)
  DetectorLimits limits;
  // Every subject each detector looked at in this sample, and those absent
  // now that fired before (their episode counts stay). By detector, then subject.
  std::vector<DetectorState> states;
  // Episodes that fired and ended at this sample.
  std::vector<DetectorEpisode> ended;

  bool any_firing() const;
};

}  // namespace rcuwatch
