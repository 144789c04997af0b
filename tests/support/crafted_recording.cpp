#include "crafted_recording.hpp"

#include <zlib.h>

#include "crc32c.hpp"

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <type_traits>

namespace rcuwatch::test {

namespace {

template <typename T>
void put(std::string& out, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&v), sizeof(v));
}

uint32_t get_u32(const std::string& bytes, size_t at) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + at, 4);
  return v;
}

void set_u32(std::string& bytes, size_t at, uint32_t v) { std::memcpy(bytes.data() + at, &v, 4); }

constexpr size_t kHeaderFixed = 20;  // magic, format, ABI, JSON length

}  // namespace

uint32_t recording_crc(uint32_t format_version, const std::string& bytes, uint32_t seed) {
  if (format_version == 1)
    return uint32_t(crc32(seed, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
  return crc32c(seed, bytes.data(), bytes.size());
}

CraftedRecording::CraftedRecording(const std::string& header_json, uint32_t format_version,
                                   uint32_t abi_version)
    : format_version_(format_version), abi_version_(abi_version) {
  bytes_ = "RCUWATCH";
  put(bytes_, format_version);
  put(bytes_, abi_version);
  put(bytes_, uint32_t(header_json.size()));
  bytes_ += header_json;
  put(bytes_, recording_crc(format_version_, bytes_));
}

CraftedRecording& CraftedRecording::record(uint32_t type, const std::string& payload) {
  records_.push_back(bytes_.size());
  std::string head;
  put(head, type);
  put(head, uint32_t(payload.size()));
  const uint32_t sum =
      recording_crc(format_version_, payload, recording_crc(format_version_, head));
  bytes_ += head;
  bytes_ += payload;
  put(bytes_, sum);
  return *this;
}

void CraftedRecording::write(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes_.data(), std::streamsize(bytes_.size()));
  if (!out) throw std::runtime_error(path + ": cannot write");
}

std::string CraftedRecording::tick_payload(const Tick& t, uint32_t abi_version) {
  std::string p;
  put(p, t.sample.time_ns);
  const size_t nr_stats = abi_version == 1   ? RW_STAT_ABI1_NR
                          : abi_version == 2 ? RW_STAT_ABI2_NR
                                             : RW_STAT_NR;
  for (size_t i = 0; i < nr_stats; i++) put(p, t.sample.stats[i]);
  put(p, uint32_t(t.events.size()));
  for (const auto& e : t.events) put(p, e);
  put(p, uint32_t(t.sample.pending.size()));
  for (const auto& e : t.sample.pending) {
    put(p, e.key);
    put(p, e.val);
  }
  put(p, uint32_t(t.sample.instances.size()));
  for (const auto& i : t.sample.instances) {
    put(p, i.instance);
    put(p, i.info);
    put(p, i.totals);
  }
  put(p, uint32_t(t.sample.grace_periods.size()));
  for (const auto& g : t.sample.grace_periods) {
    put(p, g.key);
    put(p, g.stats);
  }
  if (abi_version >= 3) {
    put(p, uint32_t(t.sample.call_sites.size()));
    for (const auto& c : t.sample.call_sites) {
      put(p, c.key);
      put(p, c.val);
    }
    put(p, uint32_t(t.sample.queues.size()));
    for (const auto& q : t.sample.queues) {
      put(p, q.key);
      put(p, q.val);
    }
  }
  return p;
}

std::string CraftedRecording::header_json(uint64_t nr_cpus, const std::string& extra) {
  return R"({"kernel_release":"crafted","nr_cpus":)" + std::to_string(nr_cpus) + extra + "}";
}

size_t fix_checksums(std::string& bytes) {
  if (bytes.size() < kHeaderFixed + 4) return 0;
  const uint32_t version = get_u32(bytes, 8);
  const uint64_t json_len = get_u32(bytes, 16);
  if (kHeaderFixed + json_len + 4 > bytes.size()) return 0;
  size_t at = kHeaderFixed + json_len;
  set_u32(bytes, at, recording_crc(version, bytes.substr(0, at)));
  at += 4;
  size_t fixed = 0;
  while (bytes.size() - at >= 12) {
    const uint64_t len = get_u32(bytes, at + 4);
    if (bytes.size() - at - 12 < len) break;
    const uint32_t head = recording_crc(version, bytes.substr(at, 8));
    set_u32(bytes, at + 8 + len, recording_crc(version, bytes.substr(at + 8, len), head));
    at += 12 + len;
    fixed++;
  }
  return fixed;
}

}  // namespace rcuwatch::test
