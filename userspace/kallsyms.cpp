#include "kallsyms.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <sstream>

extern "C" {
#include "events.h"
}

namespace rcuwatch {

Kallsyms::Kallsyms(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    // "ffffffff81000000 T _stext" or "... t name\t[module]"
    std::istringstream fields(line);
    std::string addr, type, name, module;
    if (!(fields >> addr >> type >> name)) continue;
    fields >> module;
    uint64_t a = std::strtoull(addr.c_str(), nullptr, 16);
    if (a == 0) continue;  // kptr_restrict hides addresses: names unusable
    by_name_.try_emplace(name, a);
    if (!module.empty()) name += " " + module;
    by_addr_.try_emplace(a, std::move(name));
  }
}

std::optional<std::string> Kallsyms::exact(uint64_t addr) const {
  auto it = by_addr_.find(addr);
  if (it == by_addr_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> Kallsyms::address_of(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

namespace {

// Known rcu_pending users in the kernel, by process function.
constexpr std::array<std::pair<const char*, const char*>, 2> kKnownUsers = {{
    {"__bkey_cached_free", "bcachefs btree key cache"},
    {"bkey_cached_free", "bcachefs btree key cache"},
}};

std::string without_module(const std::string& sym) { return sym.substr(0, sym.find(' ')); }

}  // namespace

std::string instance_name(uint64_t instance, uint64_t process, const Kallsyms& syms,
                          const std::optional<InstanceLabel>& label) {
  if (label) return fmt::format("bcachefs {} key cache[{}]", label->fs, label->index);
  if (auto s = syms.exact(instance)) return without_module(*s);
  if (process == RW_PROCESS_KVFREE) return fmt::format("kvfree@{:#x}", instance);
  if (process == RW_PROCESS_CALL_RCU) return fmt::format("call_rcu@{:#x}", instance);
  if (auto fn = syms.exact(process)) {
    std::string f = without_module(*fn);
    for (const auto& [known, user] : kKnownUsers)
      if (f == known) return user;
    return f;
  }
  return fmt::format("rcu_pending@{:#x}", instance);
}

bool is_fallback_name(const std::string& name) {
  return name.find("@0x") != std::string::npos || name.rfind("0x", 0) == 0 ||
         name == "bcachefs btree key cache";
}

std::string flavor_name(uint64_t srcu, const Kallsyms& syms) {
  if (srcu == 0) return "rcu";
  if (auto s = syms.exact(srcu)) return without_module(*s);
  return fmt::format("srcu@{:#x}", srcu);
}

}  // namespace rcuwatch
