#include "call_sites.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "kallsyms.hpp"

namespace rcuwatch {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// rcu_pending's own functions (fs/bcachefs/rcu_pending.c: rcu_pending_enqueue,
// rcu_pending_kvfree, rcu_pending_enqueue_list and its GCC clones): what calls
// the outermost of them is the call site.
bool in_rcu_pending(std::string_view function) {
  return starts_with(function, "rcu_pending_") || starts_with(function, "__rcu_pending_");
}

// A JIT-compiled BPF program: "bpf_prog_<16 hex digits of its tag>_<name>".
bool bpf_program(std::string_view function) {
  constexpr std::string_view kPrefix = "bpf_prog_";
  if (!starts_with(function, kPrefix) || function.size() < kPrefix.size() + 16) return false;
  const std::string_view tag = function.substr(kPrefix.size(), 16);
  return std::all_of(tag.begin(), tag.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// What runs above the enqueue when no rcu_pending frame is seen: the BPF
// program, its trampoline or tracepoint glue, an address without a symbol.
bool tracing_frame(std::string_view function) {
  constexpr std::array<std::string_view, 5> kPrefixes = {"bpf_trampoline_", "bpf_trace_run",
                                                         "__bpf_trace_", "__traceiter_", "0x"};
  return bpf_program(function) ||
         std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view p) { return starts_with(function, p); });
}

CallPath placeholder(const char* what) {
  CallPath p;
  p.function = p.label = what;
  return p;
}

}  // namespace

CallPath call_path(const std::vector<uint64_t>& ips, const SymbolNames& names) {
  CallPath path;
  std::vector<std::string> frames, functions;
  for (uint64_t ip : ips) {
    auto it = names.find(ip);
    const bool named = it != names.end() && !is_fallback_name(it->second);
    frames.push_back(it != names.end() ? it->second : fmt::format("{:#x}", ip));
    functions.push_back(frame_function(frames.back()));
    path.provisional |= !named;
  }
  size_t start = 0;
  for (size_t i = functions.size(); i-- > 0;)
    if (in_rcu_pending(functions[i])) {
      start = i + 1;
      break;
    }
  if (start == 0)
    while (start < functions.size() && tracing_frame(functions[start])) start++;
  if (start >= functions.size()) start = 0;  // nothing else: keep it all
  path.frames.assign(frames.begin() + ptrdiff_t(start), frames.end());
  for (size_t i = start; i < functions.size() && i < start + kPathFunctions; i++)
    path.label += (i == start ? "" : " <- ") + functions[i];
  path.function = start < functions.size() ? functions[start] : "(empty stack)";
  if (path.label.empty()) path.label = path.function;
  return path;
}

const CallPath& CallSiteTable::path_of(int32_t stack_id, const CallStacks& stacks,
                                       const SymbolNames& names) {
  auto cached = paths_.find(stack_id);
  if (cached != paths_.end() && !cached->second.provisional) return cached->second;
  CallPath p;
  if (stack_id < 0) {
    p = placeholder("(stack not kept: stack map full or collision)");
  } else if (auto it = stacks.find(stack_id); it != stacks.end()) {
    p = call_path(it->second, names);
  } else {
    p = placeholder("(stack not read)");
    p.provisional = true;  // it may come with a later record
  }
  return paths_[stack_id] = std::move(p);
}

void CallSiteTable::update(const Sample& s, const CallStacks& stacks, const SymbolNames& names,
                           double secs, Snapshot& snap) {
  struct Acc {
    CallSiteRow row;
    uint64_t delta_objects = 0;
    std::map<uint32_t, uint64_t> cpu_bytes;
  };
  std::map<uint64_t, std::string> instance_names;
  for (const auto& i : snap.instances) instance_names[i.instance] = i.name;
  const bool rates = have_prev_ && secs > 0;

  // Rows by (instance, frames): stacks that differ only in what ran above
  // the call site (the hook, rcu_pending's entry point) are one call site.
  std::map<std::pair<uint64_t, std::string>, Acc> rows;
  std::map<Key, rw_call_site_val> now;
  for (const auto& e : s.call_sites) {
    const Key key{e.key.instance, e.key.cpu, e.key.stack_id};
    now[key] = e.val;
    rw_call_site_val before{};
    if (auto p = prev_.find(key); p != prev_.end()) before = p->second;
    const CallPath& path = path_of(e.key.stack_id, stacks, names);
    std::string identity = path.label;
    for (const auto& f : path.frames) identity += "\n" + f;
    Acc& acc = rows[{e.key.instance, std::move(identity)}];
    CallSiteRow& r = acc.row;
    if (r.function.empty()) {
      r.instance = e.key.instance;
      auto n = instance_names.find(e.key.instance);
      r.instance_name =
          n != instance_names.end() ? n->second : fmt::format("{:#x}", e.key.instance);
      r.function = path.function;
      r.path = path.label;
      r.frames = path.frames;
    }
    r.bytes.total += e.val.bytes;
    r.objects.total += e.val.objects;
    r.samples += e.val.samples;
    if (have_prev_ && e.val.bytes >= before.bytes && e.val.objects >= before.objects) {
      r.interval_bytes += e.val.bytes - before.bytes;
      acc.delta_objects += e.val.objects - before.objects;
      if (e.val.bytes > before.bytes) acc.cpu_bytes[e.key.cpu] += e.val.bytes - before.bytes;
    }
  }

  std::map<uint64_t, uint64_t> instance_bytes;
  for (const auto& [key, acc] : rows) instance_bytes[key.first] += acc.row.bytes.total;
  snap.call_sites.reserve(rows.size());
  for (auto& [key, acc] : rows) {
    CallSiteRow& r = acc.row;
    const uint64_t total = instance_bytes[r.instance];
    r.share = total ? double(r.bytes.total) / double(total) : 0;
    if (rates) {
      r.bytes.per_sec = double(r.interval_bytes) / secs;
      r.objects.per_sec = double(acc.delta_objects) / secs;
    }
    r.cpu_interval_bytes.assign(acc.cpu_bytes.begin(), acc.cpu_bytes.end());
    snap.call_sites.push_back(std::move(r));
  }
  std::stable_sort(
      snap.call_sites.begin(), snap.call_sites.end(),
      [](const CallSiteRow& a, const CallSiteRow& b) { return a.bytes.total > b.bytes.total; });
  prev_ = std::move(now);
  have_prev_ = true;
}

}  // namespace rcuwatch
