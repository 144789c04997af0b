// Bounds on everything a recording (or a misbehaving kernel) can ask
// rcuwatch to allocate or index: checked before anything is allocated, so
// that a 4 KB file cannot make rcuwatch take gigabytes or write out of
// bounds. Each is far above what a real machine or a real recording needs.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
#include "events.h"
}

namespace rcuwatch::limits {

// Possible CPUs: Linux's largest NR_CPUS (x86 CONFIG_MAXSMP, powerpc) is 8192.
inline constexpr uint32_t kMaxCpus = 8192;
// Entries of the pending map in one sample: the largest --max-pending-entries.
inline constexpr uint32_t kMaxPendingEntries = 1u << 22;
// Lifecycle events in one interval (64 MB of rw_event); a live interval
// with more counts the rest as dropped.
inline constexpr uint32_t kMaxEvents = 1u << 20;
// rcu_pending instances and grace-period flavors in one sample.
inline constexpr uint32_t kMaxInstances = 1u << 16;
inline constexpr uint32_t kMaxGracePeriodFlavors = 1u << 16;
// Named addresses in a recording, and the bytes of one name (kallsyms
// names are at most KSYM_NAME_LEN = 512 bytes; the rest is "+0x..." text).
inline constexpr uint32_t kMaxNames = 1u << 18;
inline constexpr size_t kMaxNameBytes = 1024;
// Call sites (instance x CPU x stack) and per-queue enqueue counts
// (instance x CPU) in one sample; distinct stacks in a recording and the
// frames of one (bpf/events.h RW_STACK_DEPTH; the kernel's limit is 127).
inline constexpr uint32_t kMaxCallSites = 1u << 20;
inline constexpr uint32_t kMaxQueues = 1u << 20;
inline constexpr uint32_t kMaxStacks = 1u << 16;
inline constexpr uint32_t kMaxStackDepth = 128;
// The recording header's JSON, its short strings (uname release, hostname,
// start time, hook names), its lists and how deeply it may nest.
inline constexpr uint32_t kMaxHeaderJsonBytes = 64u << 20;
inline constexpr size_t kMaxHeaderStringBytes = 256;
inline constexpr size_t kMaxHeaderListItems = 256;
inline constexpr int kMaxHeaderJsonDepth = 8;
// One record's payload: the largest TICK the limits above allow
// (docs/recording-format.md has its layout).
inline constexpr uint64_t kMaxTickPayload =
    8 + 8 * RW_STAT_NR + 4 + uint64_t(kMaxEvents) * sizeof(rw_event) + 4 +
    uint64_t(kMaxPendingEntries) * (sizeof(rw_pending_key) + sizeof(rw_pending_val)) + 4 +
    uint64_t(kMaxInstances) * (8 + sizeof(rw_instance_info) + sizeof(rw_instance_totals)) + 4 +
    uint64_t(kMaxGracePeriodFlavors) * (8 + sizeof(rw_gp_stats)) + 4 +
    uint64_t(kMaxCallSites) * (sizeof(rw_call_site_key) + sizeof(rw_call_site_val)) + 4 +
    uint64_t(kMaxQueues) * (sizeof(rw_queue_key) + sizeof(rw_queue_totals));
inline constexpr uint64_t kMaxNamesPayload = 4 + uint64_t(kMaxNames) * (8 + 2 + kMaxNameBytes);
inline constexpr uint64_t kMaxStacksPayload =
    4 + uint64_t(kMaxStacks) * (4 + 4 + kMaxStackDepth * 8);
inline constexpr uint64_t kMaxRecordPayload64 =
    kMaxTickPayload > kMaxNamesPayload
        ? (kMaxTickPayload > kMaxStacksPayload ? kMaxTickPayload : kMaxStacksPayload)
        : (kMaxNamesPayload > kMaxStacksPayload ? kMaxNamesPayload : kMaxStacksPayload);
static_assert(kMaxRecordPayload64 < (1ull << 32));
inline constexpr uint32_t kMaxRecordPayload = uint32_t(kMaxRecordPayload64);

}  // namespace rcuwatch::limits
