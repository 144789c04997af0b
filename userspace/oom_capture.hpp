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

// The OOM kills in a tick: one per RW_EV_OOM_KILL event (read in the
// Aggregator's one pass over the events), then add_lost_oom_kills() adds
// one of unknown victim for each kill RW_STAT_OOM_KILLS counted without an
// event (the ring buffer dropped it). `kills_before`: the counter at the
// previous tick.
OomKill oom_kill(const rw_event& e);
void add_lost_oom_kills(std::vector<OomKill>& kills, const Sample& s, uint64_t kills_before);

// What `s` (the state right after `kill`) says about rcu_pending then.
OomCapture capture_oom(const Snapshot& s, const OomKill& kill);

}  // namespace rcuwatch
