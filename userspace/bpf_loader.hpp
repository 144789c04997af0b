// RAII over the rcuwatch BPF skeleton: open, size maps, set rodata, load,
// and attach the programs whose hooks the running kernel has.
#pragma once

#include <memory>
#include <string>
#include <vector>

struct rcuwatch_bpf;
struct bpf_program;
struct bpf_link;

namespace rcuwatch {

struct LoaderOptions {
  uint32_t max_pending_entries = 65536;
  uint32_t ringbuf_bytes = 256 * 1024;  // power of two, >= page size
  uint64_t instance_filter = 0;
  // Load every program even if its hook is missing (tests drive them with
  // BPF_PROG_TEST_RUN); otherwise programs without a hook are not loaded.
  bool load_all_programs = false;
};

struct Hook {
  std::string tracepoint;  // e.g. "rcu_pending_enqueue"
  std::string system;      // tracefs system, e.g. "rcu_pending"
  bool required;           // rcuwatch is useless without it
};

// The tracepoints rcuwatch's programs attach to (program name == tracepoint).
const std::vector<Hook>& hooks();

// Whether the running kernel has tracepoint `name` (BTF typedef
// btf_trace_<name>, or its tracefs directory).
bool kernel_has_tracepoint(const Hook& hook);

class BpfLoader {
 public:
  explicit BpfLoader(const LoaderOptions& options);
  ~BpfLoader();
  BpfLoader(const BpfLoader&) = delete;
  BpfLoader& operator=(const BpfLoader&) = delete;

  // Attaches the loaded programs whose hooks exist. Throws Error (exit code
  // 2) naming what is missing when no rcu_pending hook exists.
  void attach();

  rcuwatch_bpf& skel() { return *skel_; }
  bpf_program* program(const std::string& name) const;
  // "system:name" of the hooks attached, and of those the kernel lacks or refused.
  const std::vector<std::string>& attached() const { return attached_; }
  const std::vector<std::string>& missing() const { return missing_; }

 private:
  struct SkelDeleter {
    void operator()(rcuwatch_bpf* s) const;
  };
  struct LinkDeleter {
    void operator()(bpf_link* l) const;
  };
  std::unique_ptr<rcuwatch_bpf, SkelDeleter> skel_;
  std::vector<std::unique_ptr<bpf_link, LinkDeleter>> links_;
  std::vector<std::string> attached_;
  std::vector<std::string> missing_;
};

// Routes libbpf's log into spdlog (debug level; warnings stay warnings).
void route_libbpf_log_to_spdlog();

}  // namespace rcuwatch
