// What the running kernel offers rcuwatch, probed without loading anything:
// tracepoints (BTF btf_trace_<name> typedefs, else tracefs), functions that
// can be hooked (text symbols in /proc/kallsyms), and functions with BTF
// (vmlinux's or a module's, which fentry needs).
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace rcuwatch {

class Kallsyms;

class KernelProbe {
 public:
  // Functions come from `syms` (kept by reference: it must outlive this).
  explicit KernelProbe(const Kallsyms& syms);
  ~KernelProbe();
  KernelProbe(const KernelProbe&) = delete;
  KernelProbe& operator=(const KernelProbe&) = delete;

  bool has_tracepoint(const std::string& system, const std::string& name) const;
  // A text symbol of that exact name (a function that is not only inlined).
  bool has_function(const std::string& name) const;
  // The first text symbol starting with `prefix` (GCC clones: "f.constprop.0").
  std::optional<std::string> function_starting_with(const std::string& prefix) const;
  // A BTF FUNC of that name in vmlinux or in a module's BTF.
  bool has_btf_function(const std::string& name) const;
  // A BTF struct of that name in vmlinux or in a module's BTF.
  bool has_btf_struct(const std::string& name) const;

 private:
  bool has_btf(const std::string& name, int kind) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rcuwatch
