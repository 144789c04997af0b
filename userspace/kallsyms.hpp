// Kernel symbol names for addresses (instances, process functions,
// srcu_structs), from /proc/kallsyms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace rcuwatch {

class Kallsyms {
 public:
  // Loads `path` (default /proc/kallsyms). A missing or unreadable file
  // leaves the table empty: names fall back to addresses.
  explicit Kallsyms(const std::string& path = "/proc/kallsyms");
  // The symbol at exactly `addr` ("name" or "name [module]").
  std::optional<std::string> exact(uint64_t addr) const;
  size_t size() const { return by_addr_.size(); }

 private:
  std::unordered_map<uint64_t, std::string> by_addr_;
};

// How an instance is shown: the instance's own symbol (a static struct
// rcu_pending), else a known user of its process function (e.g.
// __bkey_cached_free -> "bcachefs btree key cache"), else that function's
// name, else the mode and address.
std::string instance_name(uint64_t instance, uint64_t process, const Kallsyms& syms);
// "rcu" for plain RCU, else the srcu_struct's symbol or "srcu@0x...".
std::string flavor_name(uint64_t srcu, const Kallsyms& syms);

}  // namespace rcuwatch
