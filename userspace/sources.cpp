#include "sources.hpp"

#include <sys/stat.h>

#include "error.hpp"
#include "live_source.hpp"
#include "recording.hpp"
#include "replay_source.hpp"

namespace rcuwatch {

namespace {

// Recording to the file being replayed would truncate it before a record is
// read (issue 12: a 1 MB recording became 5 KB). Compared by device and
// inode, so another path, a symlink or a hard link to it is caught too.
void refuse_recording_over_input(const SourceOptions& options) {
  if (options.replay_file.empty() || options.record_file.empty()) return;
  struct stat in {
  }, out{};
  if (::stat(options.replay_file.c_str(), &in) != 0 ||
      ::stat(options.record_file.c_str(), &out) != 0)
    return;  // nothing to overwrite, or the reader reports it
  if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
    throw Error("--record " + options.record_file + " is the recording being replayed (" +
                    options.replay_file + "): refusing to overwrite it",
                kExitUsage);
}

}  // namespace

std::unique_ptr<Source> open_source(const SourceOptions& options) {
  refuse_recording_over_input(options);
  std::unique_ptr<Source> source;
  if (!options.remote.url.empty()) {
    source = std::make_unique<RemoteSource>(options.remote);
  } else if (!options.replay_file.empty()) {
    source = std::make_unique<ReplaySource>(options.replay_file, options.replay_speed);
  } else {
    LoaderOptions lo;
    lo.max_pending_entries = options.max_pending_entries;
    lo.instance_filter = options.instance_filter;
    lo.ringbuf_bytes = options.ringbuf_bytes;
    lo.attach = options.attach;
    lo.max_tracked_objects = options.max_tracked_objects;
    lo.call_site_sample_bytes = options.call_site_sample_bytes;
    source = std::make_unique<LiveSource>(lo);
  }
  if (!options.record_file.empty())
    source = std::make_unique<RecordingTee>(std::move(source), options.record_file,
                                            options.on_record_failure);
  // Attached, symbols read, files open: nothing below needs a capability.
  drop_privileges(options.privileges);
  return source;
}

}  // namespace rcuwatch
