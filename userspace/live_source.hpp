// The live kernel: loads and attaches the BPF programs, then each interval
// collects lifecycle events from the ring buffer and samples the maps.
#pragma once

#include <memory>

#include "bpf_loader.hpp"
#include "kallsyms.hpp"
#include "map_reader.hpp"
#include "ringbuf_reader.hpp"
#include "source.hpp"

namespace rcuwatch {

class LiveSource : public Source {
 public:
  explicit LiveSource(const LoaderOptions& options);
  const SourceInfo& info() const override { return info_; }
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return names_; }
  const CallStacks& stacks() const override { return stacks_; }

 private:
  void name_new_addresses(const Sample& s);
  // Reads the stacks of call sites first seen in `s` and names their frames.
  void learn_stacks(const Sample& s);
  void drop_entries_beyond_cpus(Sample& s);
  // Re-runs the census (a filesystem mounted since), and reads kallsyms
  // again if the list of modules changed (a module loaded since). At most
  // every kRelearnInterval.
  void relearn_kernel();

  SourceInfo info_;
  Kallsyms kallsyms_;  // first: the loader probes the kernel's functions in it
  BpfLoader loader_;
  RingbufReader ringbuf_;
  MapReader maps_;
  SymbolNames names_;
  CallStacks stacks_;
  uint64_t kallsyms_generation_ = 0;  // kallsyms read anew (modules changed)
  uint64_t frames_named_generation_ = 0;
  uint64_t last_ns_ = 0;
  bool warned_bad_cpu_ = false;
  uint64_t relearned_ns_ = 0;
  std::string modules_;  // /proc/modules' names and addresses when kallsyms was read
  std::optional<uint64_t> bch_fs_list_;  // bcachefs's list of filesystems, for the census
};

}  // namespace rcuwatch
