// The live kernel: loads and attaches the BPF programs, then each interval
// collects lifecycle events from the ring buffer and samples the maps.
#pragma once

#include <memory>

#include "bpf_loader.hpp"
#include "kallsyms.hpp"
#include "ringbuf_reader.hpp"
#include "source.hpp"

namespace rcuwatch {

class LiveSource : public Source {
 public:
  explicit LiveSource(const LoaderOptions& options);
  const SourceInfo& info() const override { return info_; }
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return names_; }

 private:
  void name_new_addresses(const Sample& s);
  void drop_entries_beyond_cpus(Sample& s);

  SourceInfo info_;
  BpfLoader loader_;
  RingbufReader ringbuf_;
  Kallsyms kallsyms_;
  SymbolNames names_;
  uint64_t last_ns_ = 0;
  bool warned_bad_cpu_ = false;
};

}  // namespace rcuwatch
