// Kernel symbol names for addresses (instances, process functions,
// srcu_structs), from /proc/kallsyms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcuwatch {

class Kallsyms {
 public:
  // Loads `path` (default /proc/kallsyms). A missing or unreadable file
  // leaves the table empty: names fall back to addresses.
  explicit Kallsyms(const std::string& path = "/proc/kallsyms");
  // The symbol at exactly `addr` ("name" or "name [module]").
  std::optional<std::string> exact(uint64_t addr) const;
  // A code address (a stack frame's return address) as "function+0x1d" or
  // "function+0x1d [module]": the nearest symbol at or below it, if one is
  // within 1 MiB.
  std::optional<std::string> symbolize(uint64_t addr) const;
  // The address of symbol `name` (any module), if listed. A scan: for the
  // few symbols rcuwatch looks up by name.
  std::optional<uint64_t> address_of(const std::string& name) const;
  // A function (text symbol) of that exact name: one that is not only inlined.
  // Answered from the names alone, so also when addresses are hidden.
  bool has_function(std::string_view name) const;
  // The first function whose name starts with `prefix` (GCC clones: "f.constprop.0").
  std::optional<std::string> function_starting_with(std::string_view prefix) const;
  size_t size() const { return by_addr_.size(); }

 private:
  const std::vector<std::string_view>& functions() const;  // sorted, built on first use
  mutable std::vector<std::string_view> functions_;
  // The file as read, and (address, offset of its line) sorted by address:
  // a distribution kernel lists some 200k symbols, read again when a module
  // appears, and only a few are ever looked up.
  std::string text_;
  std::vector<std::pair<uint64_t, uint32_t>> by_addr_;
};

// What the kernel's own structures say an instance is: bcachefs's key
// cache of the filesystem `fs`, pending[index] (bpf/census.bpf.h).
struct InstanceLabel {
  std::string fs;
  uint32_t index = 0;
};

// How an instance is shown: its label ("bcachefs vda key cache[0]"), else
// the instance's own symbol (a static struct rcu_pending), else a known user
// of its process function (e.g. __bkey_cached_free -> "bcachefs btree key
// cache"), else that function's name, else the mode and address.
std::string instance_name(uint64_t instance, uint64_t process, const Kallsyms& syms,
                          const std::optional<InstanceLabel>& label = std::nullopt);
// The function a frame's name (Kallsyms::symbolize()) is in: "function"
// from "function+0x1d [module]" (a GCC clone keeps its suffix:
// "rcu_pending_enqueue_list.constprop.0"); the name itself if it has no offset.
std::string frame_function(const std::string& frame);
// Whether a name is only an address-based fallback, worth asking again later.
bool is_fallback_name(const std::string& name);
// "rcu" for plain RCU, else the srcu_struct's symbol or "srcu@0x...".
std::string flavor_name(uint64_t srcu, const Kallsyms& syms);

}  // namespace rcuwatch
