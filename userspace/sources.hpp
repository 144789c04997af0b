// Opening a source from command-line options: the one place that knows
// which sources exist. Errors are thrown as rcuwatch::Error (error.hpp).
#pragma once

#include <memory>
#include <string>

#include "attach_mode.hpp"
#include "privileges.hpp"
#include "recording.hpp"
#include "remote_source.hpp"
#include "source.hpp"

namespace rcuwatch {

struct SourceOptions {
  RemoteOptions remote;     // remote.url set: an exporter elsewhere (--connect)
  std::string replay_file;  // empty: the live kernel
  double replay_speed = 0;  // 0: as fast as possible; 1: recorded speed; 2: twice that
  std::string record_file;  // live only: also record to this file
  // A full disk stops `record` with the error; `stat --record` keeps the view.
  RecordingFailure on_record_failure = RecordingFailure::Stop;
  uint32_t max_pending_entries = 65536;   // live: size of the BPF pending map
  uint64_t instance_filter = 0;           // live: only this struct rcu_pending *, 0 = all
  uint32_t ringbuf_bytes = 256 * 1024;    // live: BPF ring buffer of lifecycle events
  PrivilegeOptions privileges;            // dropped once the source is open (--user)
  AttachMode attach = AttachMode::Auto;   // live: --attach
  uint32_t max_tracked_objects = 131072;  // live, stock modes: objects whose queue is remembered
  uint64_t call_site_sample_bytes = 128 * 1024;  // live: --sample-bytes; 0: no call sites
};

// Opens the source (and the recording it tees to), then drops every
// capability but options.privileges.keep and switches to its user, if any:
// call it before starting any thread (privileges.hpp).
std::unique_ptr<Source> open_source(const SourceOptions& options);

}  // namespace rcuwatch
