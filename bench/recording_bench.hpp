// Recording throughput: RecordingWriter::write_tick and RecordingReader::next
// on the at-scale Tick, against fwrite/fread of as many bytes in the same
// directory.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "results.hpp"

namespace rcuwatch::bench {

class RecordingBench;
struct RecordingBenchDeleter {  // RecordingBench is complete only in recording_bench.cpp
  void operator()(RecordingBench* b) const;
};
using RecordingBenchPtr = std::unique_ptr<RecordingBench, RecordingBenchDeleter>;

// Registers the benchmarks, which use the returned object: keep it alive
// while they run. Their files go to a fresh directory under `parent`,
// created when the first of them runs and removed with the object.
RecordingBenchPtr register_recording_benchmarks(const std::string& parent);
void summarize_recording(const Results& results, std::ostream& out);

}  // namespace rcuwatch::bench
