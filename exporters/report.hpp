// `rcuwatch report`: the model of one page for a bug report, built from a
// stream of Snapshots; report_text.hpp and report_json.hpp render it.
// ReportBuilder keeps running aggregates only (per instance, per grace-period
// flavor, the open stranded episode), never the snapshots, so its memory is
// bounded by instances and flavors, not by the recording.
//
// Times in a Report are nanoseconds since the first sample. Counts (objects,
// bytes, grace periods) are the BPF lifetime counters at the last sample,
// i.e. since rcuwatch attached (a recording starts when it attached); rates
// are over the span between the first and the last sample.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "detectors.hpp"
#include "snapshot.hpp"

namespace rcuwatch {

struct ReportOptions {
  uint64_t stranded_age_ns = 1'000'000'000;  // --stranded-age
  size_t max_episodes = 64;                  // the longest are kept, the rest counted
};

// Objects and bytes since rcuwatch attached.
struct Amount {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

struct ReportSource {
  std::string description;  // "replay FILE", "live 6.12.117"
  std::string kernel_release;
  uint32_t nr_cpus = 0;
  uint64_t first_sample_ns = 0;  // monotonic clock of the first sample
  uint64_t span_ns = 0;          // first to last sample
  uint64_t samples = 0;
  uint64_t min_interval_ns = 0, max_interval_ns = 0;  // between consecutive samples
  std::string
      error;  // the input ended early (truncated, corrupt): the report covers what came before
};

struct ReportPeak {
  int64_t bytes = 0;
  int64_t objects = 0;  // pending at that moment
  uint64_t at_ns = 0;
  std::string top_instance;  // the instance holding most bytes then ("" if none)
  int64_t top_instance_bytes = 0;
};

struct ReportInstance {
  uint64_t instance = 0;
  std::string name;
  Flavor flavor = Flavor::Rcu;
  std::string grace_period;  // name of its flavor ("rcu" or the srcu_struct)
  Mode mode = Mode::Process;
  Amount enqueued, processed, dequeued;
  uint64_t list_objects = 0, untracked_objects = 0;
  int64_t peak_pending_bytes = 0;
  uint64_t peak_at_ns = 0;
  int64_t final_pending_bytes = 0;
  uint64_t max_seq_age_ns = 0;  // the longest any seq of it was seen pending
  uint64_t max_age_seq = 0;
  uint64_t max_age_at_ns = 0;
  std::vector<uint32_t> max_age_cpus;  // CPUs holding that seq then
};

struct EpisodeInstance {
  std::string name;
  Flavor flavor = Flavor::Rcu;
  std::string grace_period;
  int64_t peak_stranded_bytes = 0;                   // of its seqs at least stranded_age old
  SeqState state = SeqState::WaitingForGracePeriod;  // holding most stranded bytes over time
};

struct EpisodeGracePeriod {
  std::string name;
  Flavor flavor = Flavor::Rcu;
  uint64_t completed = 0;  // grace periods of this flavor that ended during the episode
};

// A maximal run of samples whose oldest pending age is >= stranded_age.
struct Episode {
  uint64_t start_ns = 0;  // first sample of the run
  uint64_t end_ns = 0;    // first sample after it (below the threshold), or the last sample
  uint64_t duration_ns = 0;
  bool ongoing = false;            // still stranded at the last sample
  int64_t oldest_enqueued_ns = 0;  // when its oldest object was enqueued (may be < 0)
  uint64_t max_age_ns = 0;
  int64_t peak_bytes = 0, peak_objects = 0;  // all pending, at the episode's peak
  uint64_t peak_at_ns = 0;
  SeqState state = SeqState::WaitingForGracePeriod;  // holding most stranded bytes over time
  std::vector<EpisodeInstance> instances;            // by peak stranded bytes, descending
  std::vector<EpisodeGracePeriod> grace_periods;     // flavors of those instances
};

struct ReportGracePeriod {
  std::string name;
  Flavor flavor = Flavor::Rcu;
  uint64_t key = 0;
  uint64_t completed = 0;          // since rcuwatch attached
  uint64_t completed_in_span = 0;  // between the first and last sample
  double per_sec = 0;              // completed_in_span / span
  uint64_t histogram_count = 0;    // durations in the histogram
  uint64_t mean_duration_ns = 0;   // exact (sum / count)
  DurationBucket p50, p99, max;    // bucketed: only the log2 bucket is known
  uint64_t longest_gap_ns = 0;     // largest time since the last GP end seen at a sample
  uint64_t since_last_end_ns = 0;  // at the last sample; 0 if none ended
  bool in_progress = false;        // at the last sample
};

// One detector over the whole stream (detectors.hpp evaluated them; the
// report only collects). Episode times are from the first sample; an
// ongoing episode (still firing at the last sample) has end_ns 0.
struct ReportDetectorEpisode {
  DetectorEpisode episode;
  bool ongoing = false;
  uint64_t duration_ns = 0;  // onset to end (to the last sample if ongoing)
  std::string summary;       // describe() at the peak
};

struct ReportDetector {
  Detector detector = Detector::StrandedBytes;
  double limit = 0;  // 0: off
  std::string limit_text;
  uint64_t episodes_total = 0;  // that fired; > episodes.size() when some were not kept
  bool firing_at_end = false;
  std::vector<ReportDetectorEpisode> episodes;  // by onset
};

struct Report {
  ReportSource source;
  // Every detector in kDetectors order, whether it fired or not: the verdict.
  std::vector<ReportDetector> detectors;
  uint64_t stranded_age_ns = 0;
  ReportPeak peak;           // by bytes
  int64_t peak_objects = 0;  // most objects pending at any sample
  uint64_t peak_objects_at_ns = 0;
  int64_t final_bytes = 0, final_objects = 0;
  uint64_t final_oldest_age_ns = 0;
  std::vector<ReportInstance> instances;  // by peak pending bytes, descending
  std::vector<Episode> episodes;          // by start
  uint64_t episodes_total = 0;            // > episodes.size() when some were not kept
  std::vector<ReportGracePeriod> grace_periods;
  Losses losses;  // at the last sample

  bool any_detector_fired() const;
};

class ReportBuilder {
 public:
  explicit ReportBuilder(ReportOptions options = {});
  // From the source (Snapshots carry only its description).
  void set_source(const std::string& description, const std::string& kernel_release);
  void set_error(const std::string& message);
  void add(const Snapshot& s);
  Report finish() const;

 private:
  struct EpisodeInstanceAcc {
    EpisodeInstance row;
    std::array<double, 3> state_weight{};  // stranded bytes x seconds, by SeqState
  };
  struct OpenEpisode {
    Episode episode;
    std::map<uint64_t, EpisodeInstanceAcc> instances;  // by instance address
    std::map<uint64_t, uint64_t> completed_at_start;   // by flavor key
    std::map<uint64_t, uint64_t> completed_at_last;
    std::array<double, 3> state_weight{};
  };
  struct InstanceAcc {
    ReportInstance row;
    uint64_t srcu = 0;
  };
  struct GpAcc {
    GracePeriodStats last;
    uint64_t completed_at_first = 0;
    uint64_t longest_gap_ns = 0;
  };

  uint64_t rel(uint64_t time_ns) const { return time_ns - report_.source.first_sample_ns; }
  void update_episode(const Snapshot& s);
  ReportDetectorEpisode report_episode(const DetectorEpisode& e, bool ongoing) const;
  Episode finalize(const OpenEpisode& o, uint64_t end_ns, bool ongoing) const;
  std::string grace_period_name(uint64_t key) const;

  ReportOptions options_;
  Report report_;  // source, peaks, finals, losses, closed episodes
  uint64_t last_time_ns_ = 0;
  std::map<uint64_t, InstanceAcc> instances_;
  std::map<uint64_t, GpAcc> grace_periods_;
  std::optional<OpenEpisode> open_;
  DetectorLimits detector_limits_;
  std::vector<DetectorEpisode> firing_;  // at the last sample: ongoing unless they end
};

}  // namespace rcuwatch
