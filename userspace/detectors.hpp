// The detectors: evaluated once per interval on the Snapshot, in one place
// (SnapshotStream runs a DetectorSet), and attached to it as
// Snapshot::detections. Each detector computes a value per subject (the
// machine, an instance, a grace-period flavor, a CPU); an episode begins when
// the value reaches the detector's limit, fires once it held long enough
// (--stranded-for; at once for the others) and ends at the first sample
// where the value is below the limit again (below 90% of it for stranded
// bytes and callback floods, so a value hovering at the limit does not make
// an episode per sample). What each detector means: docs/diagnosing.md.
//
// Memory: per subject (instances, flavors, CPUs) and per live seq; subjects
// that never fired are forgotten when they go away.
#pragma once

#include <map>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "detection.hpp"
#include "snapshot.hpp"

namespace rcuwatch {

class DetectorSet {
 public:
  explicit DetectorSet(DetectorLimits limits = {});

  // Evaluates every detector on the next snapshot of a stream (snapshots
  // in order, each once) and returns their states.
  Detections evaluate(const Snapshot& snapshot);

  const DetectorLimits& limits() const { return limits_; }

  // An instance or grace period involved in an observation (the
  // detectors' own, public for their helpers in detectors.cpp): its name
  // is the Snapshot's (or the evaluation's, for one the Snapshot does not
  // name), not a copy. A flood on every CPU of a big machine involves
  // each CPU's 64 instances, every interval.
  struct Involved {
    SubjectKind kind;
    uint64_t key;
    std::string_view name;
    uint64_t name_version = 0;  // instances: InstanceName::version
  };
  // An instance's name, and a number that changes when the name does:
  // from one counter, never given twice, so that an equal number means an
  // equal name. A track compares the number, not the name.
  struct InstanceName {
    std::string name;
    uint64_t version = 0;
  };

 private:
  // A detector's value on a subject at this sample. What contributed and
  // what was involved matter only while the condition holds (step() drops
  // them otherwise), so observe() has them described only then.
  struct Observation {
    Detector detector;
    Subject subject;
    double value = 0;
    std::vector<Contribution> contributions;  // any order; ranked in step()
    std::vector<Involved> involved;           // instances, grace periods
    std::vector<uint32_t> cpus;               // CPUs involved, sorted
  };
  using TrackKey = std::tuple<Detector, SubjectKind, uint64_t>;
  struct Track {
    DetectorState state;
    bool active = false;   // the condition holds (firing, or waiting for --stranded-for)
    uint64_t seen_at = 0;  // the evaluation that last observed it
    // Call sites that queued on the subject while the episode held, by
    // instance and path: the episode keeps the largest.
    std::map<std::pair<std::string, std::string>, CallSite> call_sites;
    // The episode's instances by address, sorted, each with the version of
    // the name it last had: a name is looked for among the episode's only
    // when its instance is new to it or renamed (a flood on every CPU of a
    // big machine names its 64 instances on each, every interval).
    std::vector<std::pair<uint64_t, uint64_t>> instance_names;
  };
  // When each queue past its grace period was first seen so, sorted by key:
  // per seq its queues' (cpu, time), 16 bytes a queue instead of a 32-byte
  // (key, time) pair. At 1024 CPUs x 64 instances x 4 seqs some 164k queues
  // are past their grace period; the table was 8 MB, and 21 MB at its peak
  // while the next one grew beside it.
  class LagTable {
    struct Queue;

   public:
    // Empties it for about `expected` queues (the last table's count):
    // room for a few more, and no more than a quarter to spare.
    void clear(size_t expected);
    // A seq's queues follow begin_seq(), one add() each. Seqs and CPUs
    // should come in increasing order; finish() sorts them otherwise.
    void begin_seq(uint64_t instance, uint64_t seq, bool expired);
    void add(uint32_t cpu, uint64_t since_ns);
    void finish();
    size_t size() const { return queues_.size(); }

    // One seq's queues, looked up by CPU. CPUs looked up in increasing
    // order cost a step each; any order is right.
    class Span {
     public:
      Span() = default;
      // When the queue on `cpu` was first seen, or `otherwise`.
      uint64_t find(uint32_t cpu, uint64_t otherwise);

     private:
      friend class LagTable;
      Span(const Queue* begin, const Queue* end) : begin_(begin), at_(begin), end_(end) {}
      const Queue* begin_ = nullptr;
      const Queue* at_ = nullptr;  // where find() searches from
      const Queue* end_ = nullptr;
    };
    // The seq's queues, none if it has none. Seqs looked up in increasing
    // order cost a step each; any order is right.
    Span seq(uint64_t instance, uint64_t seq, bool expired);

   private:
    struct Seq {
      uint64_t instance = 0;
      uint64_t seq = 0;
      bool expired = false;
      uint32_t begin = 0;  // its first queue in queues_
    };
    struct Queue {
      Queue(uint32_t c, uint64_t since) : cpu(c), since_ns(since) {}  // built in place
      uint32_t cpu = 0;
      uint64_t since_ns = 0;
    };
    size_t end_of(size_t seq) const {
      return seq + 1 < seqs_.size() ? seqs_[seq + 1].begin : queues_.size();
    }
    std::vector<Seq> seqs_;
    std::vector<Queue> queues_;
    bool sorted_ = true;
    uint64_t next_cpu_ = 0;  // the least CPU add() takes in order
    size_t seq_at_ = 0;      // where seq() searches from
  };

  // One evaluation's names and per-instance findings (detectors.cpp).
  struct Evaluation;
  void scan_rows(Evaluation& ev);
  void stranded_bytes(const Evaluation& ev, Detections& out);
  void grace_period_too_long(const Evaluation& ev, Detections& out);
  void callback_flood(const Evaluation& ev, Detections& out);
  void processing_lag(Evaluation& ev, Detections& out);
  void list_fallback(Evaluation& ev, Detections& out);
  void losses(const Evaluation& ev, Detections& out);
  // Steps the subject's track with its value; `describe` adds what
  // contributed and what was involved, called only when step() keeps them.
  template <typename Describe>
  void observe(const Evaluation& ev, Detector d, Subject subject, double value, Describe&& describe,
               Detections& out);
  void step(Track& track, Observation o, const Snapshot& s, Detections& out) const;

  DetectorLimits limits_;
  std::map<TrackKey, Track> tracks_;
  uint64_t evaluations_ = 0;  // Track::seen_at
  // The instances of the last snapshot (and those named without a row in
  // it), by address, with their names' versions.
  std::map<uint64_t, InstanceName> instance_names_;
  uint64_t name_versions_ = 0;                      // the last version given
  std::map<TrackKey, Track>::iterator next_track_;  // after the last observed, while evaluating
  // The last sample's table, and the next one while a sample is evaluated
  // (2.9 MB each at 164k queues, reserved from the last one's size).
  LagTable lag_before_, lag_now_;
  std::map<uint64_t, uint64_t> list_objects_;  // per instance, at the last sample
  Losses losses_;                              // at the last sample
};

// One line for a person: the value against its limit, how long it held and
// what contributed. `top` prints it for a firing detector, `report` for an
// episode at its peak.
std::string describe(Detector d, const Subject& subject, double value,
                     const std::vector<Contribution>& contributions, uint64_t held_ns,
                     const DetectorLimits& limits);
// The value in its unit: "7.31 MiB", "2.00s", "25.3k objects/s", "12 objects".
std::string format_detector_value(Detector d, double value);
// The limit as flags set it: ">= 1.00 MiB pending >= 1.00s, for 2.00s", or "off".
std::string describe_limit(Detector d, const DetectorLimits& limits);

}  // namespace rcuwatch
