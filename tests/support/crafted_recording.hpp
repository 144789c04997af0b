// Recording bytes built by hand, with valid checksums: what rcuwatch's own
// writer never produces (huge counts, CPUs the machine lacks, deep JSON).
// Written here from docs/recording-format.md, not with recording.cpp, so a
// test of the reader does not share the reader's assumptions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sample.hpp"

namespace rcuwatch::test {

inline constexpr uint32_t kRecordTick = 1;
inline constexpr uint32_t kRecordNames = 2;

// The checksum a recording of `format_version` uses: zlib's CRC-32 for 1,
// CRC-32C from 2.
uint32_t recording_crc(uint32_t format_version, const std::string& bytes, uint32_t seed = 0);

class CraftedRecording {
 public:
  // The header with this JSON text, as is.
  explicit CraftedRecording(const std::string& header_json, uint32_t format_version = 1,
                            uint32_t abi_version = RW_ABI_VERSION);
  // A record of any type and payload, with its length and checksum.
  CraftedRecording& record(uint32_t type, const std::string& payload);
  CraftedRecording& tick(const Tick& t) {
    return record(kRecordTick, tick_payload(t, abi_version_));
  }

  const std::string& bytes() const { return bytes_; }
  // Byte offset of the i-th record, of its payload, and where the header JSON starts.
  uint64_t record_offset(size_t i) const { return records_.at(i); }
  uint64_t payload_offset(size_t i) const { return records_.at(i) + 8; }
  static constexpr uint64_t kJsonOffset = 20;
  void write(const std::string& path) const;

  // The TICK payload of `t`, laid out as docs/recording-format.md says for
  // event ABI `abi_version`: its number of stats (instance totals stay ABI
  // 2's); 3 adds call sites and per-queue counts at the end.
  static std::string tick_payload(const Tick& t, uint32_t abi_version = RW_ABI_VERSION);
  // Header JSON with the required keys; `extra` is appended inside the object
  // (e.g. R"(,"names":{"0x10":"x"})").
  static std::string header_json(uint64_t nr_cpus, const std::string& extra = "");

 private:
  uint32_t format_version_;
  uint32_t abi_version_;
  std::string bytes_;
  std::vector<uint64_t> records_;
};

// Recomputes the header's and every record's checksum in place, as far as
// the lengths in `bytes` can be followed (a fuzzer's mutations then reach
// past the checksums). Returns how many records it fixed.
size_t fix_checksums(std::string& bytes);

}  // namespace rcuwatch::test
