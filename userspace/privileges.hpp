// Least privilege. Loading and attaching the BPF programs needs CAP_BPF and
// CAP_PERFMON (raw tracepoint programs are "perfmon" program types;
// CAP_SYS_ADMIN covers both, as the kernel allows), and CAP_SYSLOG to read
// symbol addresses from /proc/kallsyms under kptr_restrict=1 (or with
// perf_event_paranoid > 1). Once attached, nothing does: the maps and the
// ring buffer are read through file descriptors already open, and the
// symbols were read. So every source drops every capability once it is open
// (open_source), and can switch to an unprivileged user (--user).
//
// Capabilities belong to threads: the drop happens before any thread is
// started, and threads started later inherit the empty sets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rcuwatch {

// linux/capability.h numbers of the capabilities rcuwatch talks about.
enum Capability : int {
  kCapSetgid = 6,
  kCapSetuid = 7,
  kCapSetpcap = 8,
  kCapNetBindService = 10,
  kCapSysAdmin = 21,
  kCapSyslog = 34,
  kCapPerfmon = 38,
  kCapBpf = 39,
};

std::string capability_name(int cap);  // "CAP_BPF"

// This thread's capability sets (bit n: capability n).
struct CapabilitySets {
  uint64_t effective = 0;
  uint64_t permitted = 0;
  uint64_t inheritable = 0;
};
CapabilitySets current_capabilities();
bool has_capability(int cap);  // in the effective set

// The capabilities live commands need and the effective set lacks (empty
// when it has them all, or CAP_SYS_ADMIN). Throws nothing.
std::vector<int> missing_bpf_capabilities();
// Throws Error (exit 1) naming the missing capabilities, before anything is
// loaded: "missing CAP_PERFMON: live commands need CAP_BPF and CAP_PERFMON...".
void require_bpf_capabilities();

struct PrivilegeOptions {
  std::string user;       // --user NAME: switch to it (uid, gid, no supplementary groups)
  std::vector<int> keep;  // capabilities still needed (the exporter: CAP_NET_BIND_SERVICE
                          // for a port below 1024, until it is bound)
};

// Switches to options.user if given, then drops every capability but
// options.keep from the effective, permitted and inheritable sets of the
// calling thread, clears the ambient set and (where CAP_SETPCAP allows) the
// whole bounding set, and sets no_new_privs. Checks the result. Throws
// Error when a step fails (an unknown user, no CAP_SETUID to switch).
void drop_privileges(const PrivilegeOptions& options);

}  // namespace rcuwatch
