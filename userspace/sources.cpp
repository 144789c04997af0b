#include "sources.hpp"

#include "live_source.hpp"
#include "recording.hpp"
#include "replay_source.hpp"

namespace rcuwatch {

std::unique_ptr<Source> open_source(const SourceOptions& options) {
  std::unique_ptr<Source> source;
  if (!options.remote.url.empty()) {
    source = std::make_unique<RemoteSource>(options.remote);
  } else if (!options.replay_file.empty()) {
    source = std::make_unique<ReplaySource>(options.replay_file, options.replay_speed);
  } else {
    LoaderOptions lo;
    lo.max_pending_entries = options.max_pending_entries;
    lo.instance_filter = options.instance_filter;
    lo.attach = options.attach;
    lo.max_tracked_objects = options.max_tracked_objects;
    source = std::make_unique<LiveSource>(lo);
  }
  if (!options.record_file.empty())
    source = std::make_unique<RecordingTee>(std::move(source), options.record_file);
  return source;
}

}  // namespace rcuwatch
