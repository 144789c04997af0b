#include "kernel_probe.hpp"

#include "kallsyms.hpp"

#include <bpf/btf.h>
#include <dirent.h>
#include <sys/stat.h>

#include <memory>
#include <vector>

namespace rcuwatch {

namespace {

struct BtfDeleter {
  void operator()(struct btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<struct btf, BtfDeleter>;

bool path_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

}  // namespace

struct KernelProbe::Impl {
  const Kallsyms& syms;
  BtfPtr vmlinux;
  std::vector<BtfPtr> modules;  // split BTF on top of vmlinux
};

KernelProbe::KernelProbe(const Kallsyms& syms) : impl_(std::make_unique<Impl>(Impl{syms, {}, {}})) {
  impl_->vmlinux.reset(btf__load_vmlinux_btf());
  if (!impl_->vmlinux) return;
  if (DIR* dir = opendir("/sys/kernel/btf")) {
    while (dirent* e = readdir(dir)) {
      const std::string name = e->d_name;
      if (name == "." || name == ".." || name == "vmlinux") continue;
      BtfPtr mod(btf__load_module_btf(name.c_str(), impl_->vmlinux.get()));
      if (mod) impl_->modules.push_back(std::move(mod));
    }
    closedir(dir);
  }
}

KernelProbe::~KernelProbe() = default;

bool KernelProbe::has_tracepoint(const std::string& system, const std::string& name) const {
  if (impl_->vmlinux) {
    const std::string type = "btf_trace_" + name;
    if (btf__find_by_name_kind(impl_->vmlinux.get(), type.c_str(), BTF_KIND_TYPEDEF) > 0)
      return true;
  }
  for (const char* root : {"/sys/kernel/tracing/events/", "/sys/kernel/debug/tracing/events/"})
    if (path_exists(std::string(root) + system + "/" + name)) return true;
  return false;
}

bool KernelProbe::has_function(const std::string& name) const {
  return impl_->syms.has_function(name);
}

std::optional<std::string> KernelProbe::function_starting_with(const std::string& prefix) const {
  return impl_->syms.function_starting_with(prefix);
}

bool KernelProbe::has_btf(const std::string& name, int kind) const {
  if (impl_->vmlinux && btf__find_by_name_kind(impl_->vmlinux.get(), name.c_str(), kind) > 0)
    return true;
  for (const auto& m : impl_->modules)
    if (btf__find_by_name_kind(m.get(), name.c_str(), kind) > 0) return true;
  return false;
}

bool KernelProbe::has_btf_function(const std::string& name) const {
  return has_btf(name, BTF_KIND_FUNC);
}

bool KernelProbe::has_btf_struct(const std::string& name) const {
  return has_btf(name, BTF_KIND_STRUCT);
}

}  // namespace rcuwatch
