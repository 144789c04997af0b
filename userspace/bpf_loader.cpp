#include "bpf_loader.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <set>

#include "error.hpp"
#include "kernel_probe.hpp"
#include "privileges.hpp"
#include "rcuwatch.skel.h"

extern "C" {
#include "events.h"
}

namespace rcuwatch {

namespace {

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
  // A verifier log comes as one message of many lines: keep it whole.
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  std::string line(n > 0 ? size_t(n) : 0, '\0');
  if (n > 0) vsnprintf(line.data(), line.size() + 1, fmt, args);
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

// What a program of bpf/rcuwatch.bpf.c is for, from its section name.
enum class Role { TracepointHook, FunctionHook, ListKprobe, OomHook, Test, Refresh, Census };

struct Classified {
  Role role;
  std::string kind;      // "rcu_pending", "rcu" (tracepoint systems), "fentry", "fexit", ...
  std::string function;  // the tracepoint or kernel function
  AttachMode mode;       // the mode whose program it is
};

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

Classified classify(bpf_program* prog) {
  const std::string sec = bpf_program__section_name(prog);
  const auto slash = sec.find('/');
  const std::string kind = sec.substr(0, slash);
  const std::string target = slash == std::string::npos ? "" : sec.substr(slash + 1);
  if (sec == "raw_tp/rcuwatch_refresh") return {Role::Refresh, "", "", AttachMode::Auto};
  if (starts_with(sec, "raw_tp/rcuwatch_census")) return {Role::Census, "", "", AttachMode::Auto};
  if (starts_with(sec, "raw_tp/rcuwatch_test_")) return {Role::Test, "", "", AttachMode::Auto};
  // The OOM killer's tracepoint: every mode, where the kernel has it.
  if (sec == "raw_tp/mark_victim") return {Role::OomHook, "oom", "mark_victim", AttachMode::Auto};
  if (kind == "raw_tp")
    return {Role::TracepointHook, starts_with(target, "rcu_pending_") ? "rcu_pending" : "rcu",
            target, AttachMode::Tracepoint};
  if (sec == "kprobe")  // attached by the loader to the list fallback's clone
    return {Role::ListKprobe, "kprobe", "rcu_pending_enqueue_list", AttachMode::Kprobe};
  if (kind == "fentry" || kind == "fexit")
    return {Role::FunctionHook, kind, target, AttachMode::Fentry};
  return {Role::FunctionHook, kind, target, AttachMode::Kprobe};
}

// Stock modes cannot do without these; the other hooks refine them (exact
// placement, kvfree mode, list fallback, grace-period timing).
const std::set<std::string>& required_functions() {
  static const std::set<std::string> fns = {
      "rcu_pending_enqueue",          "__process_finished_items",   "rcu_pending_dequeue",
      "rcu_pending_dequeue_from_all", "get_state_synchronize_srcu", "poll_state_synchronize_srcu",
      "get_state_synchronize_rcu",    "poll_state_synchronize_rcu"};
  return fns;
}

bool required_tracepoint(const Classified& c) { return c.kind == "rcu_pending"; }

}  // namespace

const char* to_string(AttachMode mode) {
  switch (mode) {
    case AttachMode::Auto:
      return "auto";
    case AttachMode::Tracepoint:
      return "tracepoint";
    case AttachMode::Fentry:
      return "fentry";
    default:
      return "kprobe";
  }
}

bool parse_attach_mode(const std::string& text, AttachMode* mode) {
  for (AttachMode m :
       {AttachMode::Auto, AttachMode::Tracepoint, AttachMode::Fentry, AttachMode::Kprobe})
    if (text == to_string(m)) {
      *mode = m;
      return true;
    }
  return false;
}

void route_libbpf_log_to_spdlog() { libbpf_set_print(libbpf_log); }

void BpfLoader::SkelDeleter::operator()(rcuwatch_bpf* s) const { rcuwatch_bpf__destroy(s); }
void BpfLoader::LinkDeleter::operator()(bpf_link* l) const { bpf_link__destroy(l); }

BpfLoader::BpfLoader(const LoaderOptions& options, const Kallsyms& syms) {
  route_libbpf_log_to_spdlog();
  const KernelProbe probe(syms);
  if (options.for_tests) {
    std::string why;
    if (!try_load(AttachMode::Tracepoint, options, probe, &why)) throw Error(why);
    return;
  }
  std::vector<AttachMode> order = {options.attach};
  if (options.attach == AttachMode::Auto)
    order = {AttachMode::Tracepoint, AttachMode::Fentry, AttachMode::Kprobe};
  std::vector<std::string> reasons;
  for (AttachMode m : order) {
    std::string why;
    if (try_load(m, options, probe, &why)) {
      try {
        attach();
        spdlog::info("attach mode {}: {} hooks attached, {} missing", to_string(m),
                     attached_.size(), missing_.size());
        return;
      } catch (const Error& e) {
        why = e.what();
      }
    }
    spdlog::debug("attach mode {} not usable: {}", to_string(m), why);
    reasons.push_back(fmt::format("{}: {}", to_string(m), why));
    skel_.reset();
    links_.clear();
  }
  std::string all;
  for (const auto& r : reasons) all += (all.empty() ? "" : "; ") + r;
  throw Error(fmt::format("cannot watch rcu_pending on this kernel ({}); ways out: load bcachefs "
                          "(it carries rcu_pending) on a kernel with BTF and fentry or kprobes, "
                          "boot a kernel with the patches in kernel/patches/, "
                          "'rcuwatch replay FILE', or the VM demo (scripts/demo.sh)",
                          all),
              kExitNoHooks);
}

BpfLoader::~BpfLoader() = default;

bool BpfLoader::try_load(AttachMode mode, const LoaderOptions& options, const KernelProbe& probe,
                         std::string* why) {
  skel_.reset(rcuwatch_bpf__open());
  if (!skel_) {
    *why =
        std::string("cannot open the BPF object: ") + std::strerror(errno) + libbpf_explanation();
    return false;
  }
  mode_ = mode;
  targets_.clear();
  attached_.clear();
  missing_.clear();
  skel_->rodata->instance_filter = options.instance_filter;
  skel_->rodata->call_site_sample_bytes = options.call_site_sample_bytes;
  bpf_map__set_max_entries(skel_->maps.pending, options.max_pending_entries);
  bpf_map__set_max_entries(skel_->maps.objects, options.max_tracked_objects);
  bpf_map__set_max_entries(skel_->maps.events, options.ringbuf_bytes);
  // Entries per (instance, CPU): room for 64 instances on every CPU.
  const uint32_t per_cpu_keys =
      std::max(16384u, uint32_t(std::max(1, libbpf_num_possible_cpus())) * 64);
  bpf_map__set_max_entries(skel_->maps.queues, per_cpu_keys);
  bpf_map__set_max_entries(skel_->maps.call_sites, per_cpu_keys);
  // Only the tracepoints run under the queue's lock, which the slots rely on.
  const uint32_t cpus = uint32_t(std::max(1, libbpf_num_possible_cpus()));
  // Queues for the CPUs below slot_cpus, RW_SLOT_ROWS each, in whole
  // tiles of RW_SLOT_TILE_CPUS CPUs: fewer CPUs than the machine has where
  // the array would pass 16 MiB (more than 1152 CPUs); the seqs of the
  // others go to the pending hash.
  constexpr size_t kTileBytes =
      size_t{RW_SLOT_TILE_CPUS} * RW_SLOT_ROWS * RW_SEQ_SLOTS * sizeof(rw_pending_slot);
  const uint32_t slot_cpus =
      mode == AttachMode::Tracepoint || options.for_tests
          ? uint32_t(std::min<size_t>(cpus, (size_t{16} << 20) / kTileBytes * RW_SLOT_TILE_CPUS))
          : 0;
  skel_->rodata->slot_cpus = slot_cpus;
  // One value per (CPU, row) queue: its RW_SEQ_SLOTS slots.
  const uint32_t tiles = (slot_cpus + RW_SLOT_TILE_CPUS - 1) / RW_SLOT_TILE_CPUS;
  bpf_map__set_max_entries(skel_->maps.pending_slots,
                           std::max(1u, tiles * RW_SLOT_TILE_CPUS * RW_SLOT_ROWS));

  std::set<std::string> missing_required;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    const Classified c = classify(prog);
    bool load = false;
    std::string function = c.function;
    if (options.for_tests) {
      load = c.role == Role::TracepointHook || c.role == Role::OomHook || c.role == Role::Test ||
             c.role == Role::Refresh;
    } else if (c.role == Role::OomHook) {
      // Optional: without it OOM kills are not captured (named in missing()).
      load = probe.has_tracepoint(c.kind, c.function);
      if (!load) missing_.push_back(c.kind + ":" + c.function);
    } else if (c.role == Role::Refresh) {
      load = mode != AttachMode::Tracepoint;
    } else if (c.role == Role::Census) {
      // It reads bcachefs's structs: only where their BTF is (bcachefs loaded).
      load = probe.has_btf_struct("bch_fs") && probe.has_btf_struct("rcu_pending_pcpu");
    } else if (c.role == Role::ListKprobe) {
      // The list fallback's function is a GCC clone on distribution kernels.
      if (mode != AttachMode::Tracepoint) {
        if (auto f = probe.function_starting_with(c.function)) {
          function = *f;
          load = true;
        } else {
          missing_.push_back("kprobe:" + c.function);
        }
      }
    } else if (c.mode == mode && c.role == Role::TracepointHook) {
      load = probe.has_tracepoint(c.kind, c.function);
      if (!load) {
        missing_.push_back(c.kind + ":" + c.function);
        if (required_tracepoint(c)) missing_required.insert(c.kind + ":" + c.function);
      }
    } else if (c.mode == mode && c.role == Role::FunctionHook) {
      load = probe.has_function(c.function) &&
             (mode == AttachMode::Kprobe || probe.has_btf_function(c.function));
      if (!load) {
        missing_.push_back(c.kind + ":" + c.function);
        if (required_functions().count(c.function))
          missing_required.insert(c.kind + ":" + c.function);
      }
    }
    bpf_program__set_autoload(prog, load);
    if (load && c.role != Role::Test && c.role != Role::Refresh && c.role != Role::Census)
      targets_.push_back({prog, function, c.kind + ":" + c.function,
                          c.role == Role::TracepointHook ? required_tracepoint(c)
                          : c.role == Role::OomHook      ? false
                                                    : required_functions().count(c.function) > 0});
  }
  if (!missing_required.empty()) {
    if (mode == AttachMode::Tracepoint) {
      *why = "no rcu_pending tracepoints";
    } else if (!probe.has_function("rcu_pending_enqueue")) {
      *why = "no rcu_pending functions in /proc/kallsyms (bcachefs not loaded?)";
    } else {
      // Name one missing hook, and how many more: the full list is in -v's log.
      *why = fmt::format("missing {}{}", *missing_required.begin(),
                         missing_required.size() > 1
                             ? fmt::format(" and {} more", missing_required.size() - 1)
                             : std::string());
      if (mode == AttachMode::Fentry) *why += " (needs BTF for them)";
    }
    for (const auto& m : missing_required) spdlog::debug("{}: missing {}", to_string(mode), m);
    return false;
  }
  // The hooks are there: whether rcuwatch may use them is the next question,
  // answered before anything is loaded, naming what is missing.
  if (!options.for_tests) require_bpf_capabilities();
  int err = rcuwatch_bpf__load(skel_.get());
  if (err) {
    *why = std::string("cannot load the BPF programs: ") + std::strerror(-err) +
           libbpf_explanation() + refused_anyway(-err);
    return false;
  }
  return true;
}

bpf_program* BpfLoader::program(const std::string& name) const {
  bpf_program* prog = bpf_object__find_program_by_name(skel_->obj, name.c_str());
  if (!prog) throw Error("BPF object has no program " + name);
  return prog;
}

void BpfLoader::attach() {
  // The hooks that start following an object go last: an object enqueued
  // while the others attach is then simply one from before rcuwatch (the
  // census or "untracked" accounts for it), never one whose later steps
  // nobody saw. Exits first, then the other entries, then enqueue's entry.
  auto rank = [](const Target& t) {
    const Classified c = classify(t.program);
    const bool enqueue = t.function == "rcu_pending_enqueue" || t.function == "rcu_pending_kvfree";
    if (enqueue && c.kind != "fexit" && c.kind != "kretprobe") return 2;
    return c.kind == "fexit" || c.kind == "kretprobe" ? 0 : 1;
  };
  std::stable_sort(targets_.begin(), targets_.end(),
                   [&](const Target& a, const Target& b) { return rank(a) < rank(b); });
  for (const Target& t : targets_) {
    bpf_link* link = nullptr;
    const Classified c = classify(t.program);
    if (c.role == Role::TracepointHook || c.role == Role::OomHook)
      link = bpf_program__attach_raw_tracepoint(t.program, t.function.c_str());
    else if (c.role == Role::ListKprobe)
      link = bpf_program__attach_kprobe(t.program, false, t.function.c_str());
    else
      link = bpf_program__attach(t.program);
    if (!link) {
      const int err = errno;
      if (t.required)
        throw Error(
            "cannot attach to " + t.label + ": " + std::strerror(err) + libbpf_explanation(),
            err == ENOENT ? kExitNoHooks : kExitFailure);
      spdlog::warn("{} not attached ({})", t.label, std::strerror(err));
      missing_.push_back(t.label);
      continue;
    }
    links_.emplace_back(link);
    attached_.push_back(t.label);
  }
  for (const auto& m : missing_)
    if (starts_with(m, "rcu:"))
      spdlog::warn(
          "{} is missing (needs CONFIG_RCU_TRACE and our patch): grace-period "
          "statistics for that flavor are unavailable",
          m);
}

void BpfLoader::refresh() {
  if (mode_ == AttachMode::Tracepoint) return;
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  const int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.refresh), &opts);
  if (err) spdlog::debug("refreshing grace-period counters failed: {}", std::strerror(-err));
}

namespace {

bool test_run(bpf_program* prog, std::vector<uint64_t> args) {
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = args.data(),
              .ctx_size_in = uint32_t(args.size() * sizeof(uint64_t)));
  const int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  if (err) spdlog::debug("{} failed: {}", bpf_program__name(prog), std::strerror(-err));
  return !err;
}

}  // namespace

bool BpfLoader::census(uint64_t bch_fs_list, uint32_t nr_cpus) {
  if (bpf_program__fd(skel_->progs.census) < 0 || !bch_fs_list) return false;
  // The filesystems' instances, labelled; then the queues of those no hook
  // has seen yet, CPU by CPU (one program run each keeps the BPF call
  // stack shallow).
  if (!test_run(skel_->progs.census, {bch_fs_list})) return false;
  const int labels = bpf_map__fd(skel_->maps.instance_labels);
  const int known = bpf_map__fd(skel_->maps.instances);
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  std::vector<uint64_t> fresh;
  while (bpf_map_get_next_key(labels, prev, &next) == 0) {
    rw_instance_info info;
    if (bpf_map_lookup_elem(known, &next, &info) != 0) fresh.push_back(next);
    key = next;
    prev = &key;
  }
  for (uint64_t instance : fresh)
    for (uint32_t cpu = 0; cpu < nr_cpus; cpu++)
      test_run(skel_->progs.census_queues, {instance, cpu, cpu + 1 == nr_cpus});
  return true;
}

}  // namespace rcuwatch
