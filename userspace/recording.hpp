// The rcuwatch recording format (docs/recording-format.md):
//
//   header:  "RCUWATCH" | u32 format version | u32 ABI version (RW_ABI_VERSION)
//            | u32 JSON length | JSON {kernel_release, nr_cpus, start_time, hostname, names,
//              attach} | u32 crc32 of everything before it
//   records: u32 type | u32 payload length | payload | u32 crc32(type, length, payload)
//
// Records: TICK (one interval: events + map sample), NAMES (addresses first
// named after the header). Each record is written with one write() and
// flushed, so a crash leaves every complete record readable. Integers are
// little-endian; struct payloads are the bpf/events.h layouts.
#pragma once

#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "sample.hpp"
#include "source.hpp"

namespace rcuwatch {

inline constexpr uint32_t kRecordingVersion = 1;

struct RecordingHeader {
  uint32_t format_version = kRecordingVersion;
  uint32_t abi_version = RW_ABI_VERSION;
  std::string kernel_release;
  uint32_t nr_cpus = 0;
  std::string start_time;  // ISO 8601, UTC
  std::string hostname;
  SymbolNames names;
  Attachment attachment;  // "attach": absent in recordings made before it existed
};

// The bytes RecordingWriter writes, for a recording kept in memory: the
// exporter serves its last ticks as a recording (tick_log.hpp).
std::string encode_header(const RecordingHeader& header);
std::string encode_tick(const Tick& tick);           // one TICK record
std::string encode_names(const SymbolNames& names);  // one NAMES record
// The header of a recording of `source`, starting now.
RecordingHeader recording_header(const Source& source);
// The names in `now` that `known` lacks or names otherwise (a later NAMES
// record wins); `known` takes them.
SymbolNames take_new_names(const SymbolNames& now, SymbolNames& known);

class RecordingWriter {
 public:
  RecordingWriter(const std::string& path, const RecordingHeader& header);
  void write_tick(const Tick& tick);
  void write_names(const SymbolNames& names);  // new names since the last call

 private:
  void write(const std::string& bytes);
  std::string path_;
  std::ofstream out_;
};

using Record = std::variant<Tick, SymbolNames>;

class RecordingReader {
 public:
  // Throws Error naming the file and byte offset on a bad header.
  explicit RecordingReader(const std::string& path);
  const RecordingHeader& header() const { return header_; }
  // The next record, std::nullopt at a clean end of file. Throws Error
  // naming the byte offset for a truncated or corrupt record; records
  // before it have already been returned.
  std::optional<Record> next();
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }

 private:
  std::string path_;
  std::ifstream in_;
  RecordingHeader header_;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// Wraps a source and writes every tick (and new names) to a recording.
class RecordingTee : public Source {
 public:
  RecordingTee(std::unique_ptr<Source> inner, const std::string& path);
  const SourceInfo& info() const override { return inner_->info(); }
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return inner_->names(); }

 private:
  std::unique_ptr<Source> inner_;
  RecordingWriter writer_;
  SymbolNames written_;  // names already in the file
};

}  // namespace rcuwatch
