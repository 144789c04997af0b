#include "bpf_loader.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>

#include "error.hpp"
#include "privileges.hpp"
#include "rcuwatch.skel.h"

namespace rcuwatch {

const std::vector<Hook>& hooks() {
  static const std::vector<Hook> all = {
      {"rcu_pending_enqueue", "rcu_pending", true},
      {"rcu_pending_dequeue", "rcu_pending", true},
      {"rcu_pending_list_expired", "rcu_pending", true},
      {"rcu_pending_process", "rcu_pending", true},
      {"rcu_grace_period", "rcu", false},   // needs CONFIG_RCU_TRACE
      {"srcu_grace_period", "rcu", false},  // added by our patch
  };
  return all;
}

namespace {

struct BtfDeleter {
  void operator()(struct btf* b) const { btf__free(b); }
};

bool path_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// libbpf's last warning, quoted in our error when a load fails. libbpf's
// print callback is process-wide by design, hence this one static.
struct LastLibbpfWarning {
  std::mutex mu;
  std::string line;
};
LastLibbpfWarning& last_warning() {
  static LastLibbpfWarning w;
  return w;
}

int libbpf_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  std::string line(buf, n > 0 ? std::min<size_t>(n, sizeof(buf) - 1) : 0);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (level == LIBBPF_WARN) {
    spdlog::debug("libbpf: {}", line);  // shown at error level only if it explains a failure
    std::lock_guard lock(last_warning().mu);
    last_warning().line = line;
  } else {
    spdlog::trace("libbpf: {}", line);
  }
  return n;
}

std::string libbpf_explanation() {
  std::lock_guard lock(last_warning().mu);
  return last_warning().line.empty() ? "" : " (libbpf: " + last_warning().line + ")";
}

// Why the kernel refused although the capabilities are there.
std::string refused_anyway(int err) {
  if (err != EPERM && err != EACCES) return " (-v shows libbpf's whole log)";
  return " although this process has CAP_BPF and CAP_PERFMON: kernel lockdown or a security "
         "module forbids BPF here (-v shows libbpf's whole log)";
}

}  // namespace

void route_libbpf_log_to_spdlog() { libbpf_set_print(libbpf_log); }

bool kernel_has_tracepoint(const Hook& hook) {
  static std::unique_ptr<struct btf, BtfDeleter> vmlinux(btf__load_vmlinux_btf());
  if (vmlinux) {
    std::string type = "btf_trace_" + hook.tracepoint;
    if (btf__find_by_name_kind(vmlinux.get(), type.c_str(), BTF_KIND_TYPEDEF) > 0) return true;
  }
  for (const char* root : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"})
    if (path_exists(std::string(root) + hook.system + "/" + hook.tracepoint)) return true;
  return false;
}

void BpfLoader::SkelDeleter::operator()(rcuwatch_bpf* s) const { rcuwatch_bpf__destroy(s); }
void BpfLoader::LinkDeleter::operator()(bpf_link* l) const { bpf_link__destroy(l); }

BpfLoader::BpfLoader(const LoaderOptions& options) {
  route_libbpf_log_to_spdlog();
  skel_.reset(rcuwatch_bpf__open());
  if (!skel_)
    throw Error(std::string("cannot open the BPF object: ") + std::strerror(errno) +
                libbpf_explanation());

  skel_->rodata->instance_filter = options.instance_filter;
  bpf_map__set_max_entries(skel_->maps.pending, options.max_pending_entries);
  bpf_map__set_max_entries(skel_->maps.events, options.ringbuf_bytes);

  for (const Hook& hook : hooks()) {
    bpf_program* prog = program(hook.tracepoint);
    if (options.load_all_programs || kernel_has_tracepoint(hook)) continue;
    bpf_program__set_autoload(prog, false);
    missing_.push_back(hook.system + ":" + hook.tracepoint);
  }
  bool any_rcu_pending = false;
  for (const Hook& hook : hooks())
    if (hook.required && bpf_program__autoload(program(hook.tracepoint))) any_rcu_pending = true;
  if (!any_rcu_pending) {
    std::string list;
    for (const auto& m : missing_)
      if (m.rfind("rcu_pending:", 0) == 0) list += (list.empty() ? "" : ", ") + m;
    throw Error("this kernel has no rcu_pending tracepoints (missing " + list +
                    "): boot a kernel with kernel/rcu_pending-tracepoints.patch, "
                    "or use 'rcuwatch replay FILE', or run the VM demo (scripts/demo.sh)",
                kExitNoHooks);
  }
  // The hooks are there: whether rcuwatch may use them is the next question,
  // answered before anything is loaded, naming what is missing.
  if (!options.load_all_programs) require_bpf_capabilities();
  int err = rcuwatch_bpf__load(skel_.get());
  if (err)
    throw Error(std::string("cannot load the BPF programs: ") + std::strerror(-err) +
                libbpf_explanation() + refused_anyway(-err));
}

BpfLoader::~BpfLoader() = default;

bpf_program* BpfLoader::program(const std::string& name) const {
  bpf_program* prog = bpf_object__find_program_by_name(skel_->obj, name.c_str());
  if (!prog) throw Error("BPF object has no program " + name);
  return prog;
}

void BpfLoader::attach() {
  for (const Hook& hook : hooks()) {
    bpf_program* prog = program(hook.tracepoint);
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach_raw_tracepoint(prog, hook.tracepoint.c_str());
    if (!link) {
      int err = errno;
      if (hook.required)
        throw Error("cannot attach to " + hook.system + ":" + hook.tracepoint + ": " +
                        std::strerror(err) + libbpf_explanation(),
                    err == ENOENT ? kExitNoHooks : kExitFailure);
      spdlog::warn("{}:{} not attached ({}): grace-period statistics are incomplete", hook.system,
                   hook.tracepoint, std::strerror(err));
      missing_.push_back(hook.system + ":" + hook.tracepoint);
      continue;
    }
    links_.emplace_back(link);
    attached_.push_back(hook.system + ":" + hook.tracepoint);
  }
  for (const auto& m : missing_)
    if (m.rfind("rcu:", 0) == 0)
      spdlog::warn(
          "{} is missing (needs CONFIG_RCU_TRACE and our patch): grace-period "
          "statistics for that flavor are unavailable",
          m);
}

}  // namespace rcuwatch
