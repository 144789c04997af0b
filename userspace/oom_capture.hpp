// OOM kills (bpf/oom.bpf.h) and what rcu_pending held at each: the Snapshot
// sampled right after the kill (the live source samples at once), summed up
// once for every view, with the sentence the log, `top` and `report` lead
// with. SnapshotStream attaches the captures to the Snapshot.
#pragma once

#include <cstdint>
#include <vector>

#include "sample.hpp"
#include "snapshot.hpp"

namespace rcuwatch {

// The OOM kills in a tick: its RW_EV_OOM_KILL events, plus one of unknown
// victim for each kill RW_STAT_OOM_KILLS counted without an event (the ring
// buffer dropped it). `kills_before`: the counter at the previous tick.
std::vector<OomKill> oom_kills(const Tick& tick, uint64_t kills_before);

// What `s` (the state right after `kill`) says about rcu_pending then.
OomCapture capture_oom(const Snapshot& s, const OomKill& kill);

}  // namespace rcuwatch
