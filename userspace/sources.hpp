// Opening a source from command-line options: the one place that knows
// which sources exist. Errors are thrown as rcuwatch::Error (error.hpp).
#pragma once

#include <memory>
#include <string>

#include "attach_mode.hpp"
#include "remote_source.hpp"
#include "source.hpp"

namespace rcuwatch {

struct SourceOptions {
  RemoteOptions remote;                  // remote.url set: an exporter elsewhere (--connect)
  std::string replay_file;               // empty: the live kernel
  double replay_speed = 0;               // 0: as fast as possible; 1: recorded speed; 2: twice that
  std::string record_file;               // live only: also record to this file
  uint32_t max_pending_entries = 65536;  // live: size of the BPF pending map
  uint64_t instance_filter = 0;          // live: only this struct rcu_pending *, 0 = all
  AttachMode attach = AttachMode::Auto;  // live: --attach
  uint32_t max_tracked_objects = 131072;  // live, stock modes: objects whose queue is remembered
};

std::unique_ptr<Source> open_source(const SourceOptions& options);

}  // namespace rcuwatch
