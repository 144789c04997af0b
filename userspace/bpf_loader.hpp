// RAII over the rcuwatch BPF skeleton: choose an attach mode the running
// kernel supports, load that mode's programs, attach them.
//
// Modes (bpf/rcuwatch.bpf.c): "tracepoint" (our kernel patch's rcu_pending
// tracepoints, exact by construction), "fentry" and "kprobe" (stock kernels:
// the same accounting rebuilt from function hooks, see docs/kernel.md).
// Auto tries them in that order and keeps the first that loads and attaches.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attach_mode.hpp"

struct rcuwatch_bpf;
struct bpf_program;
struct bpf_link;

namespace rcuwatch {

class Kallsyms;

struct LoaderOptions {
  AttachMode attach = AttachMode::Auto;
  uint32_t max_pending_entries = 65536;
  uint32_t max_tracked_objects = 131072;  // stock modes: objects whose queue is remembered
  uint32_t ringbuf_bytes = 256 * 1024;    // power of two, >= page size
  uint64_t instance_filter = 0;
  // Call sites: the mean bytes enqueued on a CPU between two stack samples; 0 = off.
  uint64_t call_site_sample_bytes = 128 * 1024;
  // Tests: load the raw_tp programs (tracepoint handlers, the stock test
  // wrappers, refresh) without attaching; they are driven by BPF_PROG_TEST_RUN.
  bool for_tests = false;
};

class BpfLoader {
 public:
  // Chooses the mode and loads its programs, probing the kernel's functions
  // in `syms` (read once, shared with the caller). Throws Error: exit code 2
  // when the kernel offers no way in (naming what is missing and the ways out).
  BpfLoader(const LoaderOptions& options, const Kallsyms& syms);
  ~BpfLoader();
  BpfLoader(const BpfLoader&) = delete;
  BpfLoader& operator=(const BpfLoader&) = delete;

  // Attaches the loaded programs. Throws Error when a required hook fails.
  void attach();
  // Stock modes: reads every watched grace-period counter into the maps, so
  // seq states are exact at the sample that follows. No-op for tracepoints.
  void refresh();
  // The census (bpf/census.bpf.h) of the bcachefs filesystems on the list at
  // `bch_fs_list`: labels their key-cache instances and, the first time,
  // counts what they already hold. False when this kernel cannot run it.
  bool census(uint64_t bch_fs_list, uint32_t nr_cpus);

  AttachMode mode() const { return mode_; }
  rcuwatch_bpf& skel() { return *skel_; }
  bpf_program* program(const std::string& name) const;
  // Hooks attached and those the kernel lacks or refused, as "kind:function"
  // (e.g. "rcu_pending:rcu_pending_enqueue", "fentry:rcu_pending_enqueue").
  const std::vector<std::string>& attached() const { return attached_; }
  const std::vector<std::string>& missing() const { return missing_; }

 private:
  struct SkelDeleter {
    void operator()(rcuwatch_bpf* s) const;
  };
  struct LinkDeleter {
    void operator()(bpf_link* l) const;
  };
  struct Plan;
  bool try_load(AttachMode mode, const LoaderOptions& options, const class KernelProbe& probe,
                std::string* why);

  AttachMode mode_ = AttachMode::Tracepoint;
  std::unique_ptr<rcuwatch_bpf, SkelDeleter> skel_;
  std::vector<std::unique_ptr<bpf_link, LinkDeleter>> links_;
  struct Target {
    bpf_program* program;
    std::string function;  // what it attaches to
    std::string label;     // "kind:function", as listed in attached()/missing()
    bool required;
  };
  std::vector<Target> targets_;
  std::vector<std::string> attached_;
  std::vector<std::string> missing_;
};

// Routes libbpf's log into spdlog (debug level; warnings stay warnings).
void route_libbpf_log_to_spdlog();

}  // namespace rcuwatch
