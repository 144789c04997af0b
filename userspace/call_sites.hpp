// Call sites: the BPF side's stack samples at enqueue (Sample::call_sites,
// bpf/call_sites.bpf.h) as rows of the Snapshot, one per instance and call
// path, with their estimated bytes, rates and shares. Part of the
// Aggregator's update; keeps the previous sample's counters for rates.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sample.hpp"
#include "snapshot.hpp"

namespace rcuwatch {

// A stack as views name it: the frames from the caller of rcu_pending's own
// functions outwards (what ran before them, tracing and BPF, is dropped).
struct CallPath {
  std::string function;             // the caller of rcu_pending ("rpl_enqueue_path_a")
  std::string label;                // its first kPathFunctions functions, "a <- b <- c"
  std::vector<std::string> frames;  // "function+0x1d [module]", innermost first
  bool provisional = false;         // a frame not named yet (an address)
};
inline constexpr size_t kPathFunctions = 3;

// `ips`: return addresses innermost first; `names`: their names (or none).
CallPath call_path(const std::vector<uint64_t>& ips, const SymbolNames& names);

class CallSiteTable {
 public:
  // Fills snap.call_sites from the sample; `secs` since the previous sample
  // (0 for the first: no rates, nothing credited to the interval).
  void update(const Sample& s, const CallStacks& stacks, const SymbolNames& names, double secs,
              Snapshot& snap);

 private:
  using Key = std::tuple<uint64_t, uint32_t, int32_t>;  // instance, cpu, stack id
  const CallPath& path_of(int32_t stack_id, const CallStacks& stacks, const SymbolNames& names);

  bool have_prev_ = false;
  std::map<Key, rw_call_site_val> prev_;
  std::map<int32_t, CallPath> paths_;  // by stack id; provisional ones are built again
};

}  // namespace rcuwatch
