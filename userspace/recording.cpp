#include "recording.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "error.hpp"

namespace rcuwatch {

namespace {

constexpr char kMagic[8] = {'R', 'C', 'U', 'W', 'A', 'T', 'C', 'H'};
constexpr uint32_t kRecordTick = 1;
constexpr uint32_t kRecordNames = 2;
constexpr uint32_t kMaxPayload = 256u << 20;  // sanity bound against corrupt lengths

uint32_t crc(const std::string& bytes, uint32_t seed = 0) {
  return uint32_t(crc32(seed, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
}

// Appends trivially copyable values (little-endian hosts only: x86, arm64).
struct Out {
  std::string buf;
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    buf.append(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  template <typename T>
  void put_all(const std::vector<T>& vs) {
    put(uint32_t(vs.size()));
    for (const auto& v : vs) put(v);
  }
};

// Bounds-checked reads from one record's payload.
struct In {
  const std::string& buf;
  size_t pos = 0;
  uint64_t base;  // file offset of buf[0], for error messages
  const std::string& path;

  [[noreturn]] void corrupt(const std::string& what) const {
    throw Error(fmt::format("{}: corrupt record at byte offset {}: {}", path, base + pos, what));
  }
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    if (buf.size() - pos < sizeof(T)) corrupt("payload ends early");
    T v;
    std::memcpy(&v, buf.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  // The first `n` bytes of a T (an older ABI's shorter struct); the rest zero.
  template <typename T>
  T get_prefix(size_t n) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (n > sizeof(T) || buf.size() - pos < n) corrupt("payload ends early");
    T v{};
    std::memcpy(&v, buf.data() + pos, n);
    pos += n;
    return v;
  }
  template <typename T>
  std::vector<T> get_all() {
    auto n = get<uint32_t>();
    if (uint64_t(n) * sizeof(T) > buf.size() - pos) corrupt(fmt::format("count {} too large", n));
    std::vector<T> vs(n);
    for (auto& v : vs) v = get<T>();
    return vs;
  }
};

std::string names_payload(const SymbolNames& names) {
  Out o;
  o.put(uint32_t(names.size()));
  for (const auto& [addr, name] : names) {
    o.put(addr);
    o.put(uint16_t(std::min<size_t>(name.size(), 0xffff)));
    o.buf.append(name.data(), std::min<size_t>(name.size(), 0xffff));
  }
  return o.buf;
}

// type, length, payload, CRC-32 of the three.
std::string record(uint32_t type, const std::string& payload) {
  Out o;
  o.buf.reserve(12 + payload.size());
  o.put(type);
  o.put(uint32_t(payload.size()));
  o.buf += payload;
  o.put(crc(o.buf));
  return o.buf;
}

}  // namespace

std::string encode_header(const RecordingHeader& h) {
  nlohmann::json meta = {{"kernel_release", h.kernel_release},
                         {"nr_cpus", h.nr_cpus},
                         {"start_time", h.start_time},
                         {"hostname", h.hostname},
                         {"names", nlohmann::json::object()},
                         {"attach",
                          {{"mode", h.attachment.mode},
                           {"attached", h.attachment.attached},
                           {"missing", h.attachment.missing}}}};
  for (const auto& [addr, name] : h.names) meta["names"][fmt::format("{:#x}", addr)] = name;
  std::string json = meta.dump();
  Out o;
  o.buf.append(kMagic, sizeof(kMagic));
  o.put(h.format_version);
  o.put(h.abi_version);
  o.put(uint32_t(json.size()));
  o.buf += json;
  o.put(crc(o.buf));
  return o.buf;
}

std::string encode_tick(const Tick& t) {
  Out o;
  o.buf.reserve(
      64 + t.events.size() * sizeof(rw_event) + t.sample.pending.size() * sizeof(PendingEntry) +
      t.sample.instances.size() * (8 + sizeof(rw_instance_info) + sizeof(rw_instance_totals)) +
      t.sample.grace_periods.size() * (8 + sizeof(rw_gp_stats)));
  o.put(t.sample.time_ns);
  o.put(t.sample.stats);
  o.put_all(t.events);
  o.put_all(t.sample.pending);
  o.put(uint32_t(t.sample.instances.size()));
  for (const auto& i : t.sample.instances) {
    o.put(i.instance);
    o.put(i.info);
    o.put(i.totals);
  }
  o.put(uint32_t(t.sample.grace_periods.size()));
  for (const auto& g : t.sample.grace_periods) {
    o.put(g.key);
    o.put(g.stats);
  }
  return record(kRecordTick, o.buf);
}

std::string encode_names(const SymbolNames& names) {
  return record(kRecordNames, names_payload(names));
}

RecordingWriter::RecordingWriter(const std::string& path, const RecordingHeader& h)
    : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
  if (!out_) throw Error(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  write(encode_header(h));
}

// A record (header, payload and checksum) goes out in one write and is
// flushed: a crash in between leaves a partial record the reader reports.
void RecordingWriter::write(const std::string& bytes) {
  out_.write(bytes.data(), std::streamsize(bytes.size()));
  out_.flush();
  if (!out_) throw Error(fmt::format("{}: write failed: {}", path_, std::strerror(errno)));
}

void RecordingWriter::write_tick(const Tick& t) { write(encode_tick(t)); }

void RecordingWriter::write_names(const SymbolNames& names) {
  if (!names.empty()) write(encode_names(names));
}

RecordingReader::RecordingReader(const std::string& path)
    : path_(path), in_(path, std::ios::binary) {
  if (!in_) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  in_.seekg(0, std::ios::end);
  size_ = uint64_t(in_.tellg());
  in_.seekg(0);

  auto fail = [&](uint64_t at, const std::string& what) -> Error {
    return Error(
        fmt::format("{}: not a valid rcuwatch recording at byte offset {}: {}", path, at, what));
  };
  std::string head(sizeof(kMagic) + 12, '\0');
  if (!in_.read(head.data(), std::streamsize(head.size())))
    throw fail(0, fmt::format("file too short for a header ({} bytes)", size_));
  if (std::memcmp(head.data(), kMagic, sizeof(kMagic)) != 0) throw fail(0, "bad magic");
  std::memcpy(&header_.format_version, head.data() + 8, 4);
  std::memcpy(&header_.abi_version, head.data() + 12, 4);
  uint32_t json_len;
  std::memcpy(&json_len, head.data() + 16, 4);
  if (header_.format_version != kRecordingVersion)
    throw fail(8, fmt::format("format version {} (this rcuwatch reads {})", header_.format_version,
                              kRecordingVersion));
  if (header_.abi_version != RW_ABI_VERSION && header_.abi_version != 1)
    throw fail(12, fmt::format("event ABI version {} (this rcuwatch reads 1 to {})",
                               header_.abi_version, RW_ABI_VERSION));
  if (json_len > size_) throw fail(16, fmt::format("header length {} beyond the file", json_len));
  std::string json(json_len, '\0');
  uint32_t stored_crc = 0;
  if (!in_.read(json.data(), json_len) ||
      !in_.read(reinterpret_cast<char*>(&stored_crc), sizeof(stored_crc)))
    throw fail(20, "header truncated");
  if (crc(json, crc(head)) != stored_crc) throw fail(20, "header checksum mismatch");
  try {
    auto meta = nlohmann::json::parse(json);
    header_.kernel_release = meta.at("kernel_release").get<std::string>();
    header_.nr_cpus = meta.at("nr_cpus").get<uint32_t>();
    header_.start_time = meta.value("start_time", "");
    header_.hostname = meta.value("hostname", "");
    const auto names = meta.value("names", nlohmann::json::object());
    for (const auto& [addr, name] : names.items())
      header_.names[std::stoull(addr, nullptr, 16)] = name.get<std::string>();
    if (const auto a = meta.find("attach"); a != meta.end()) {
      header_.attachment.mode = a->value("mode", "");
      header_.attachment.attached = a->value("attached", std::vector<std::string>{});
      header_.attachment.missing = a->value("missing", std::vector<std::string>{});
    }
  } catch (const std::exception& e) {
    throw fail(20, std::string("header metadata: ") + e.what());
  }
  offset_ = head.size() + json_len + 4;
}

std::optional<Record> RecordingReader::next() {
  if (offset_ == size_) return std::nullopt;
  const uint64_t start = offset_;
  auto truncated = [&](const char* what) {
    return Error(
        fmt::format("{}: truncated at byte offset {} ({}; {} complete bytes before it were read)",
                    path_, size_, what, start));
  };
  char hdr[8];
  if (size_ - offset_ < sizeof(hdr)) throw truncated("partial record header");
  in_.read(hdr, sizeof(hdr));
  uint32_t type, len;
  std::memcpy(&type, hdr, 4);
  std::memcpy(&len, hdr + 4, 4);
  if (type != kRecordTick && type != kRecordNames)
    throw Error(
        fmt::format("{}: corrupt record at byte offset {}: unknown type {}", path_, start, type));
  if (len > kMaxPayload)
    throw Error(fmt::format("{}: corrupt record at byte offset {}: length {} too large", path_,
                            start, len));
  if (size_ - offset_ < uint64_t(sizeof(hdr)) + len + 4) throw truncated("partial record");
  std::string rec(hdr, sizeof(hdr));
  std::string payload(len, '\0');
  uint32_t stored_crc;
  in_.read(payload.data(), len);
  in_.read(reinterpret_cast<char*>(&stored_crc), 4);
  if (!in_) throw truncated("read failed");
  if (crc(payload, crc(rec)) != stored_crc)
    throw Error(
        fmt::format("{}: corrupt record at byte offset {}: checksum mismatch", path_, start));
  offset_ += sizeof(hdr) + len + 4;

  In in{payload, 0, start + sizeof(hdr), path_};
  if (type == kRecordNames) {
    SymbolNames names;
    auto n = in.get<uint32_t>();
    for (uint32_t i = 0; i < n; i++) {
      auto addr = in.get<uint64_t>();
      auto l = in.get<uint16_t>();
      if (payload.size() - in.pos < l) in.corrupt("name ends early");
      names[addr] = payload.substr(in.pos, l);
      in.pos += l;
    }
    return names;
  }
  Tick t;
  t.sample.time_ns = in.get<uint64_t>();
  // ABI 1 recordings have fewer counters in stats and in the instance
  // totals (bpf/events.h); those that came later read as 0.
  const bool abi1 = header_.abi_version == 1;
  const size_t nr_stats = abi1 ? RW_STAT_ABI1_NR : RW_STAT_NR;
  for (size_t i = 0; i < nr_stats; i++) t.sample.stats[i] = in.get<uint64_t>();
  t.events = in.get_all<rw_event>();
  t.sample.pending = in.get_all<PendingEntry>();
  const size_t totals_size =
      abi1 ? offsetof(rw_instance_totals, preexisting_objects) : sizeof(rw_instance_totals);
  auto ni = in.get<uint32_t>();
  if (uint64_t(ni) * (8 + sizeof(rw_instance_info) + totals_size) > payload.size() - in.pos)
    in.corrupt(fmt::format("instance count {} too large", ni));
  for (uint32_t i = 0; i < ni; i++) {
    InstanceEntry e;
    e.instance = in.get<uint64_t>();
    e.info = in.get<rw_instance_info>();
    e.totals = in.get_prefix<rw_instance_totals>(totals_size);
    t.sample.instances.push_back(e);
  }
  auto ng = in.get<uint32_t>();
  if (uint64_t(ng) * (8 + sizeof(rw_gp_stats)) > payload.size() - in.pos)
    in.corrupt(fmt::format("grace-period count {} too large", ng));
  for (uint32_t i = 0; i < ng; i++) {
    GpEntry g;
    g.key = in.get<uint64_t>();
    g.stats = in.get<rw_gp_stats>();
    t.sample.grace_periods.push_back(g);
  }
  if (in.pos != payload.size()) in.corrupt("trailing bytes in record");
  return t;
}

RecordingHeader recording_header(const Source& source) {
  RecordingHeader h;
  h.kernel_release = source.info().kernel_release;
  h.nr_cpus = source.info().nr_cpus;
  h.start_time = fmt::format("{:%FT%TZ}", fmt::gmtime(std::time(nullptr)));
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  h.hostname = host;
  h.names = source.names();
  h.attachment = source.info().attachment;
  return h;
}

SymbolNames take_new_names(const SymbolNames& now, SymbolNames& known) {
  SymbolNames fresh;
  for (const auto& [addr, name] : now)
    if (auto it = known.find(addr); it == known.end() || it->second != name) fresh[addr] = name;
  for (const auto& [addr, name] : fresh) known[addr] = name;
  return fresh;
}

RecordingTee::RecordingTee(std::unique_ptr<Source> inner, const std::string& path)
    : inner_(std::move(inner)),
      writer_(path, recording_header(*inner_)),
      written_(inner_->names()) {}

std::optional<Tick> RecordingTee::next(Interval interval, const StopFlag& stop) {
  auto tick = inner_->next(interval, stop);
  writer_.write_names(take_new_names(inner_->names(), written_));
  if (tick) writer_.write_tick(*tick);
  return tick;
}

}  // namespace rcuwatch
