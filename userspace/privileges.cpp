#include "privileges.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "error.hpp"

namespace rcuwatch {

namespace {

// capget/capset without libcap: two 32-bit words per set (version 3).
using CapData = std::array<__user_cap_data_struct, _LINUX_CAPABILITY_U32S_3>;

CapData capget_self() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  CapData data{};
  if (syscall(SYS_capget, &header, data.data()) != 0)
    throw Error(std::string("cannot read this process's capabilities: ") + std::strerror(errno));
  return data;
}

uint64_t join(uint32_t low, uint32_t high) { return uint64_t(high) << 32 | low; }

std::string names(const std::vector<int>& caps) {
  std::string out;
  for (int cap : caps) out += (out.empty() ? "" : ", ") + capability_name(cap);
  return out;
}

uint64_t mask(const std::vector<int>& caps) {
  uint64_t m = 0;
  for (int cap : caps) m |= uint64_t(1) << cap;
  return m;
}

void set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  CapData data{};
  data[0] = {uint32_t(effective), uint32_t(permitted), uint32_t(inheritable)};
  data[1] = {uint32_t(effective >> 32), uint32_t(permitted >> 32), uint32_t(inheritable >> 32)};
  if (syscall(SYS_capset, &header, data.data()) != 0)
    throw Error(std::string("cannot drop capabilities: ") + std::strerror(errno));
}

void switch_user(const std::string& user, bool keep_capabilities) {
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  // getpwnam sets errno only for real errors; a missing passwd file or
  // entry leaves 0, ENOENT, ESRCH, EBADF or EPERM (getpwnam(3)).
  const int err = errno;
  if (!pw && (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM))
    throw Error(fmt::format("--user {}: no such user", user), kExitUsage);
  if (!pw) throw Error(fmt::format("--user {}: {}", user, std::strerror(err)), kExitUsage);
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  // Keep the permitted set across the uid change only when some
  // capability must stay (then re-raised below); otherwise it empties.
  if (keep_capabilities) prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  if (setgroups(0, nullptr) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
    throw Error(
        fmt::format("--user {}: cannot switch to uid {} gid {}: {} (needs CAP_SETUID and "
                    "CAP_SETGID)",
                    user, uid, gid, std::strerror(errno)));
  if (keep_capabilities) prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  uid_t r, e, s;
  if (getresuid(&r, &e, &s) != 0 || r != uid || e != uid || s != uid)
    throw Error(fmt::format("--user {}: the switch to uid {} did not take", user, uid));
  spdlog::info("running as {} (uid {}, gid {})", user, uid, gid);
}

}  // namespace

std::string capability_name(int cap) {
  switch (cap) {
    case kCapSetgid:
      return "CAP_SETGID";
    case kCapSetuid:
      return "CAP_SETUID";
    case kCapSetpcap:
      return "CAP_SETPCAP";
    case kCapNetBindService:
      return "CAP_NET_BIND_SERVICE";
    case kCapSysAdmin:
      return "CAP_SYS_ADMIN";
    case kCapSyslog:
      return "CAP_SYSLOG";
    case kCapPerfmon:
      return "CAP_PERFMON";
    case kCapBpf:
      return "CAP_BPF";
    default:
      return fmt::format("capability {}", cap);
  }
}

CapabilitySets current_capabilities() {
  const CapData d = capget_self();
  return {join(d[0].effective, d[1].effective), join(d[0].permitted, d[1].permitted),
          join(d[0].inheritable, d[1].inheritable)};
}

bool has_capability(int cap) { return current_capabilities().effective >> cap & 1; }

std::vector<int> missing_bpf_capabilities() {
  if (has_capability(kCapSysAdmin)) return {};  // bpf_capable() and perfmon_capable() accept it
  std::vector<int> missing;
  for (int cap : {kCapBpf, kCapPerfmon})
    if (!has_capability(cap)) missing.push_back(cap);
  return missing;
}

void require_bpf_capabilities() {
  const std::vector<int> missing = missing_bpf_capabilities();
  if (missing.empty()) return;
  throw Error(fmt::format(
      "missing {}: live commands need CAP_BPF and CAP_PERFMON to load and attach their BPF "
      "programs (and CAP_SYSLOG for symbol names); run as root, or grant them, e.g. setcap "
      "cap_bpf,cap_perfmon,cap_syslog+ep rcuwatch",
      names(missing)));
}

void drop_privileges(const PrivilegeOptions& options) {
  const uint64_t keep = mask(options.keep);
  // The bounding set first, while CAP_SETPCAP (if any) is still effective,
  // all of it: it only limits what an execve could gain, never what is held.
  if (has_capability(kCapSetpcap))
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  if (!options.user.empty()) switch_user(options.user, keep != 0);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  const CapabilitySets now = current_capabilities();
  set_capabilities(keep & now.permitted, keep & now.permitted, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    throw Error(std::string("cannot set no_new_privs: ") + std::strerror(errno));
  const CapabilitySets after = current_capabilities();
  if ((after.effective | after.permitted | after.inheritable) & ~keep)
    throw Error(
        fmt::format("capabilities left after dropping them: effective {:#x}, permitted "
                    "{:#x}",
                    after.effective, after.permitted));
}

}  // namespace rcuwatch
