#include "kallsyms.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string_view>

extern "C" {
#include "events.h"
}

namespace rcuwatch {

namespace {

// The whole file: /proc files have no size to read up front.
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) text.append(buf, size_t(in.gcount()));
  return text;
}

}  // namespace

namespace {

// "ffffffff81000000 T _stext" or "... t name\t[module]": the fields of the
// line at `text[offset]`, by hand (this runs for every line of the file).
struct Line {
  std::string_view addr, type, name, module;
  size_t end = 0;  // of the line
};

Line parse_line(std::string_view text, size_t offset) {
  Line l;
  size_t i = offset;
  const size_t n = text.size();
  auto field = [&](auto stop) {
    while (i < n && (text[i] == ' ' || text[i] == '\t')) i++;
    const size_t start = i;
    while (i < n && text[i] != '\n' && !stop(text[i])) i++;
    return text.substr(start, i - start);
  };
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  l.addr = field(blank);
  l.type = field(blank);
  l.name = field(blank);
  l.module = field([](char) { return false; });
  while (i < n && text[i] != '\n') i++;
  l.end = i;
  return l;
}

}  // namespace

Kallsyms::Kallsyms(const std::string& path) : text_(slurp(path)) {
  const std::string_view all(text_);
  by_addr_.reserve(all.size() / 40);
  for (size_t offset = 0; offset < all.size();) {
    const Line l = parse_line(all, offset);
    uint64_t a = 0;
    // A zero address: kptr_restrict hides addresses, the names are unusable.
    if (!l.name.empty() &&
        std::from_chars(l.addr.data(), l.addr.data() + l.addr.size(), a, 16).ec == std::errc() && a)
      by_addr_.emplace_back(a, uint32_t(offset));
    offset = l.end + 1;
  }
  // Stable: the first symbol listed at an address is the one reported.
  std::stable_sort(by_addr_.begin(), by_addr_.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
}

std::optional<std::string> Kallsyms::exact(uint64_t addr) const {
  auto it = std::lower_bound(by_addr_.begin(), by_addr_.end(), addr,
                             [](const auto& e, uint64_t a) { return e.first < a; });
  if (it == by_addr_.end() || it->first != addr) return std::nullopt;
  const Line l = parse_line(text_, it->second);
  std::string name(l.name);
  if (!l.module.empty()) name.append(" ").append(l.module);
  return name;
}

std::optional<std::string> Kallsyms::symbolize(uint64_t addr) const {
  constexpr uint64_t kMaxOffset = 1 << 20;  // beyond that, not the symbol's code
  auto it = std::upper_bound(by_addr_.begin(), by_addr_.end(), addr,
                             [](uint64_t a, const auto& e) { return a < e.first; });
  if (it == by_addr_.begin()) return std::nullopt;
  --it;
  // The first symbol listed at that address, as exact() reports it.
  while (it != by_addr_.begin() && std::prev(it)->first == it->first) --it;
  if (addr - it->first >= kMaxOffset) return std::nullopt;
  const Line l = parse_line(text_, it->second);
  std::string name = fmt::format("{}+{:#x}", l.name, addr - it->first);
  if (!l.module.empty()) name.append(" ").append(l.module);
  return name;
}

const std::vector<std::string_view>& Kallsyms::functions() const {
  if (functions_.empty()) {
    // Every line, zero addresses too: without CAP_SYSLOG (or with
    // kptr_restrict) the kernel still lists the names (kernel/kallsyms.c,
    // s_show), and which functions exist is all the probe asks.
    const std::string_view all(text_);
    for (size_t offset = 0; offset < all.size();) {
      const Line l = parse_line(all, offset);
      if (!l.name.empty() && (l.type == "t" || l.type == "T")) functions_.push_back(l.name);
      offset = l.end + 1;
    }
    std::sort(functions_.begin(), functions_.end());
  }
  return functions_;
}

bool Kallsyms::has_function(std::string_view name) const {
  return std::binary_search(functions().begin(), functions().end(), name);
}

std::optional<std::string> Kallsyms::function_starting_with(std::string_view prefix) const {
  auto it = std::lower_bound(functions().begin(), functions().end(), prefix);
  if (it != functions().end() && it->substr(0, prefix.size()) == prefix) return std::string(*it);
  return std::nullopt;
}

std::optional<uint64_t> Kallsyms::address_of(const std::string& name) const {
  for (const auto& [addr, offset] : by_addr_)
    if (parse_line(text_, offset).name == name) return addr;
  return std::nullopt;
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

std::string frame_function(const std::string& frame) {
  return frame.substr(0, std::min(frame.find('+'), frame.find(' ')));
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
