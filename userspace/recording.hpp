// The rcuwatch recording format (docs/recording-format.md):
//
//   header:  "RCUWATCH" | u32 format version | u32 ABI version (RW_ABI_VERSION)
//            | u32 JSON length | JSON {kernel_release, nr_cpus, start_time, hostname, names,
//              attach} | u32 crc32 of everything before it
//   records: u32 type | u32 payload length | payload | u32 crc32(type, length, payload)
//
// Records: TICK (one interval: events + map sample), NAMES (addresses first
// named after the header), STACKS (call-site stacks first seen). Each record is written with one
// write() and flushed, so a crash leaves every complete record readable. Integers are
// little-endian; struct payloads are the bpf/events.h layouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "sample.hpp"
#include "source.hpp"
#include "unique_fd.hpp"

namespace rcuwatch {

// Format 2 (CRC-32C checksums) is written; format 1 (zlib's CRC-32) is read too.
inline constexpr uint32_t kRecordingVersion = 2;
inline constexpr uint32_t kOldestRecordingVersion = 1;

struct RecordingHeader {
  uint32_t format_version = kRecordingVersion;
  uint32_t abi_version = RW_ABI_VERSION;
  std::string kernel_release;
  uint32_t nr_cpus = 0;
  std::string start_time;  // ISO 8601, UTC
  std::string hostname;
  SymbolNames names;
  Attachment attachment;                // "attach": absent in recordings made before it existed
  uint64_t call_site_sample_bytes = 0;  // "call_site_sample_bytes": 0 when absent
};

// The bytes RecordingWriter writes, for a recording kept in memory: the
// exporter serves its last ticks as a recording (tick_log.hpp).
std::string encode_header(const RecordingHeader& header);
std::string encode_tick(const Tick& tick);            // one TICK record
std::string encode_names(const SymbolNames& names);   // one NAMES record
std::string encode_stacks(const CallStacks& stacks);  // one STACKS record
// The header of a recording of `source`, starting now.
RecordingHeader recording_header(const Source& source);
// The names in `now` that `known` lacks or names otherwise (a later NAMES
// record wins); `known` takes them.
SymbolNames take_new_names(const SymbolNames& now, SymbolNames& known);
// The stacks of `now` whose ids are not in `known` (a stack never changes).
CallStacks new_stacks(const CallStacks& now, const std::set<int32_t>& known);

class RecordingWriter {
 public:
  RecordingWriter(const std::string& path, const RecordingHeader& header);
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;
  // Each record goes out whole or not at all: a failed write (a full disk)
  // truncates the file back to the records before it and throws Error
  // naming the byte offset; the file stays a valid recording.
  void write_tick(const Tick& tick);
  void write_names(const SymbolNames& names);   // new names since the last call
  void write_stacks(const CallStacks& stacks);  // stacks first seen since the last call

 private:
  void write_record(uint32_t type, const std::string& payload);
  void write_all(const std::string& what, std::initializer_list<std::string_view> parts);
  std::string path_;
  UniqueFd fd_;
  uint64_t written_ = 0;  // bytes of complete records (and the header)
};

using Record = std::variant<Tick, SymbolNames, CallStacks>;

// Bytes read from a recording: grows without zero-filling (std::string and
// std::vector would, every time), keeps its memory from record to record.
// Its storage is std::byte[], so it implicitly holds objects of trivially
// copyable types for a reader to copy out.
class ByteBuffer {
 public:
  std::byte* data() { return bytes_.get(); }
  const std::byte* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  // Contents up to min(old size, n) are kept; bytes beyond are unset.
  void resize(size_t n);

 private:
  std::unique_ptr<std::byte[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

class RecordingReader {
 public:
  // Throws Error naming the file and byte offset on a bad header. `path`
  // may be a pipe or FIFO: it is read in order, to its end.
  explicit RecordingReader(const std::string& path);
  ~RecordingReader();
  RecordingReader(const RecordingReader&) = delete;
  RecordingReader& operator=(const RecordingReader&) = delete;

  const RecordingHeader& header() const { return header_; }
  // The next record, std::nullopt at a clean end of file. Throws Error
  // naming the byte offset for a truncated or corrupt record; records
  // before it have already been returned.
  std::optional<Record> next();
  uint64_t offset() const { return offset_; }
  // The file's size; std::nullopt for a pipe or FIFO.
  std::optional<uint64_t> size() const { return size_; }
  // Gives back the buffer records are read into (as large as the largest
  // record: 12 MB for a tick of 262144 pending entries); the next record
  // allocates it again. For a reader that waits between records.
  void release_buffer() { payload_ = ByteBuffer(); }

 private:
  size_t read_up_to(char* dst, size_t n);
  size_t read_growing(ByteBuffer& out, size_t n);

  std::string path_;
  UniqueFd fd_;
  RecordingHeader header_;
  uint64_t offset_ = 0;
  std::optional<uint64_t> size_;
  ByteBuffer payload_;  // the last record's payload and checksum, reused
};

// Wraps a source and writes every tick (and new names) to a recording.
// What a failed recording write (a full disk) does: end the source with
// the error (`record`, whose only output is the file), or stop recording,
// say so, and keep the ticks coming (`stat --record`: the live view goes
// on; failure() keeps the error for the exit status).
enum class RecordingFailure { Stop, KeepGoing };

class RecordingTee : public Source {
 public:
  RecordingTee(std::unique_ptr<Source> inner, const std::string& path,
               RecordingFailure on_failure = RecordingFailure::Stop);
  const SourceInfo& info() const override { return inner_->info(); }
  std::optional<Tick> next(Interval interval, const StopFlag& stop) override;
  const SymbolNames& names() const override { return inner_->names(); }
  const CallStacks& stacks() const override { return inner_->stacks(); }
  std::string failure() const override { return failure_; }

 private:
  std::unique_ptr<Source> inner_;
  RecordingWriter writer_;
  RecordingFailure on_failure_;
  std::string failure_;               // why recording stopped, "" while it goes on
  SymbolNames written_;               // names already in the file
  std::set<int32_t> stacks_written_;  // ids of the stacks in the file (a stack never changes)
};

}  // namespace rcuwatch
