#include "recording.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include "crc32c.hpp"
#include "error.hpp"
#include "interval_memory.hpp"
#include "limits.hpp"

namespace rcuwatch {

namespace {

constexpr char kMagic[8] = {'R', 'C', 'U', 'W', 'A', 'T', 'C', 'H'};
constexpr uint32_t kRecordTick = 1;
constexpr uint32_t kRecordNames = 2;
constexpr uint32_t kRecordStacks = 3;  // ABI 3: call-site stacks

// Version 1 recordings carry zlib's CRC-32; version 2 CRC-32C, which the
// CPU computes in hardware (crc32c.cpp) at several times zlib's speed.
uint32_t checksum(uint32_t format_version, std::string_view bytes, uint32_t seed = 0) {
  if (format_version == 1)
    return uint32_t(crc32(seed, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
  return crc32c(seed, bytes.data(), bytes.size());
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
  std::string_view buf;
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
  // A u32 count of items of at least `item_bytes` each, checked against
  // `max` and against the bytes left before anything is allocated.
  uint32_t count(uint32_t max, const char* what, size_t item_bytes) {
    const size_t at = pos;
    const auto n = get<uint32_t>();
    if (n > max) {
      pos = at;
      corrupt(fmt::format("{} {}, more than the limit of {}", n, what, max));
    }
    if (uint64_t(n) * item_bytes > buf.size() - pos) {
      pos = at;
      corrupt(fmt::format("{} {} do not fit in the record", n, what));
    }
    return n;
  }
  // A u32 count, then that many T copied at once: for a trivial T whose
  // bytes are aligned for it (the payload buffer is std::byte[], which
  // implicitly holds such objects), one memmove into fresh memory, no
  // zero-filling first.
  template <typename T>
  std::vector<T> get_all(uint32_t max, const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint32_t n = count(max, what, sizeof(T));
    const char* src = buf.data() + pos;
    std::vector<T> vs;
    if (std::is_trivial_v<T> && reinterpret_cast<uintptr_t>(src) % alignof(T) == 0) {
      const T* first = std::launder(reinterpret_cast<const T*>(src));
      vs.assign(first, first + n);
    } else if (n) {
      vs.resize(n);
      std::memcpy(vs.data(), src, size_t(n) * sizeof(T));
    }
    pos += size_t(n) * sizeof(T);
    return vs;
  }
};

// Names longer than a reader accepts are cut (kallsyms names never are).
std::string_view bounded_name(const std::string& name) {
  return std::string_view(name).substr(0, limits::kMaxNameBytes);
}

std::string names_payload(const SymbolNames& names) {
  Out o;
  o.put(uint32_t(names.size()));
  for (const auto& [addr, name] : names) {
    const std::string_view n = bounded_name(name);
    o.put(addr);
    o.put(uint16_t(n.size()));
    o.buf.append(n);
  }
  return o.buf;
}

// STACKS: u32 n, n x (i32 stack id, u32 depth, depth x u64 return address).
std::string stacks_payload(const CallStacks& stacks) {
  Out o;
  o.put(uint32_t(stacks.size()));
  for (const auto& [id, ips] : stacks) {
    o.put(id);
    o.put(uint32_t(std::min<size_t>(ips.size(), limits::kMaxStackDepth)));
    for (size_t i = 0; i < ips.size() && i < limits::kMaxStackDepth; i++) o.put(ips[i]);
  }
  return o.buf;
}

// What a reader would refuse is not written: the tick is an error instead.
void check_writable(const Tick& t, const std::string& path) {
  auto check = [&](size_t n, uint32_t max, const char* what) {
    if (n > max)
      throw Error(fmt::format("{}: cannot record an interval of {} {}, more than the limit of {}",
                              path, n, what, max));
  };
  check(t.events.size(), limits::kMaxEvents, "lifecycle events");
  check(t.sample.pending.size(), limits::kMaxPendingEntries, "pending entries");
  check(t.sample.instances.size(), limits::kMaxInstances, "instances");
  check(t.sample.grace_periods.size(), limits::kMaxGracePeriodFlavors, "grace-period flavors");
  check(t.sample.call_sites.size(), limits::kMaxCallSites, "call sites");
  check(t.sample.queues.size(), limits::kMaxQueues, "queues");
}

// The offset in `json` where nesting first goes deeper than `max_depth`,
// npos if it never does. Checked before parsing: nlohmann::json parses
// iteratively but copies and compares recursively, so 100000 nested arrays
// would overflow the stack later.
size_t too_deep(std::string_view json, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); i++) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return std::string_view::npos;
}

// Header metadata, each field checked for its type and size before it is
// copied (std::runtime_error naming the field; the caller adds the offset).
std::string short_string(const nlohmann::json& v, const char* field) {
  if (!v.is_string()) throw std::runtime_error(fmt::format("\"{}\" is not a string", field));
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > limits::kMaxHeaderStringBytes)
    throw std::runtime_error(fmt::format("\"{}\" is {} bytes, more than the limit of {}", field,
                                         s.size(), limits::kMaxHeaderStringBytes));
  return s;
}

std::vector<std::string> string_list(const nlohmann::json& v, const char* field) {
  if (!v.is_array()) throw std::runtime_error(fmt::format("\"{}\" is not a list", field));
  if (v.size() > limits::kMaxHeaderListItems)
    throw std::runtime_error(fmt::format("\"{}\" has {} items, more than the limit of {}", field,
                                         v.size(), limits::kMaxHeaderListItems));
  std::vector<std::string> out;
  for (const auto& item : v) out.push_back(short_string(item, field));
  return out;
}

uint64_t hex_address(const std::string& text) {
  size_t end = 0;
  uint64_t addr = 0;
  try {
    addr = std::stoull(text, &end, 16);
  } catch (const std::exception&) {
    end = 0;
  }
  if (end == 0 || end != text.size())
    throw std::runtime_error(fmt::format("\"names\" key \"{}\" is not a hex address",
                                         text.substr(0, limits::kMaxHeaderStringBytes)));
  return addr;
}

void parse_metadata(const nlohmann::json& meta, RecordingHeader& h) {
  if (!meta.is_object()) throw std::runtime_error("not a JSON object");
  auto field = [&](const char* name) -> const nlohmann::json* {
    const auto it = meta.find(name);
    return it != meta.end() ? &*it : nullptr;
  };
  const nlohmann::json* release = field("kernel_release");
  if (!release) throw std::runtime_error("no \"kernel_release\"");
  h.kernel_release = short_string(*release, "kernel_release");
  const nlohmann::json* cpus = field("nr_cpus");
  if (!cpus) throw std::runtime_error("no \"nr_cpus\"");
  if (!cpus->is_number_unsigned() || cpus->get<uint64_t>() == 0 ||
      cpus->get<uint64_t>() > limits::kMaxCpus)
    throw std::runtime_error(fmt::format("\"nr_cpus\" {} is not a CPU count from 1 to {}",
                                         cpus->dump().substr(0, 32), limits::kMaxCpus));
  h.nr_cpus = cpus->get<uint32_t>();
  if (const auto* v = field("start_time")) h.start_time = short_string(*v, "start_time");
  if (const auto* v = field("hostname")) h.hostname = short_string(*v, "hostname");
  if (const auto* v = field("call_site_sample_bytes")) {
    if (!v->is_number_unsigned())
      throw std::runtime_error("\"call_site_sample_bytes\" is not a byte count");
    h.call_site_sample_bytes = v->get<uint64_t>();
  }
  if (const auto* names = field("names")) {
    if (!names->is_object()) throw std::runtime_error("\"names\" is not an object");
    if (names->size() > limits::kMaxNames)
      throw std::runtime_error(
          fmt::format("{} names, more than the limit of {}", names->size(), limits::kMaxNames));
    for (const auto& [addr, name] : names->items()) {
      if (!name.is_string() || name.get_ref<const std::string&>().size() > limits::kMaxNameBytes)
        throw std::runtime_error(
            fmt::format("\"names\" value of \"{}\" is not a string of at most {} bytes",
                        addr.substr(0, limits::kMaxHeaderStringBytes), limits::kMaxNameBytes));
      h.names[hex_address(addr)] = name.get<std::string>();
    }
  }
  if (const auto* a = field("attach")) {
    if (!a->is_object()) throw std::runtime_error("\"attach\" is not an object");
    if (const auto m = a->find("mode"); m != a->end()) h.attachment.mode = short_string(*m, "mode");
    if (const auto l = a->find("attached"); l != a->end())
      h.attachment.attached = string_list(*l, "attached");
    if (const auto l = a->find("missing"); l != a->end())
      h.attachment.missing = string_list(*l, "missing");
  }
}

// Where a TICK payload's pending entries are, when the counts before them
// are sound and the entries aligned for PendingEntry; {0, 0} otherwise (the
// parse then copies them itself, or reports what is wrong).
struct PendingSpan {
  size_t offset = 0;
  size_t count = 0;
};

PendingSpan find_pending(std::string_view payload, size_t nr_stats) {
  const size_t events_at = 8 + 8 * nr_stats;
  uint32_t ne = 0, np = 0;
  if (payload.size() < events_at + 4) return {};
  std::memcpy(&ne, payload.data() + events_at, 4);
  if (ne > limits::kMaxEvents) return {};
  const size_t pending_count = events_at + 4 + size_t(ne) * sizeof(rw_event);
  if (payload.size() < pending_count + 4) return {};
  std::memcpy(&np, payload.data() + pending_count, 4);
  const size_t offset = pending_count + 4;
  if (np > limits::kMaxPendingEntries || (payload.size() - offset) / sizeof(PendingEntry) < np ||
      reinterpret_cast<uintptr_t>(payload.data() + offset) % alignof(PendingEntry) != 0)
    return {};
  return {offset, np};
}

// The payload's checksum, continuing `seed`; the span's entries are
// checksummed in chunks that fit in the L2 cache and handed to
// `on_entries(first, n)` right after. The payload buffer is std::byte[],
// which implicitly holds the PendingEntry objects read from its bytes.
template <typename F>
uint32_t checksum_with_pending(uint32_t version, std::string_view payload, uint32_t seed,
                               const PendingSpan& span, F&& on_entries) {
  constexpr size_t kChunk = 4096;  // entries: 192 KiB
  uint32_t sum = checksum(version, payload.substr(0, span.offset), seed);
  const auto* first =
      std::launder(reinterpret_cast<const PendingEntry*>(payload.data() + span.offset));
  for (size_t i = 0; i < span.count; i += kChunk) {
    const size_t n = std::min(kChunk, span.count - i);
    sum = checksum(version,
                   payload.substr(span.offset + i * sizeof(PendingEntry), n * sizeof(PendingEntry)),
                   sum);
    on_entries(first + i, n);
  }
  return checksum(version, payload.substr(span.offset + span.count * sizeof(PendingEntry)), sum);
}

}  // namespace

std::string encode_header(const RecordingHeader& h) {
  nlohmann::json meta = {{"kernel_release", h.kernel_release},
                         {"nr_cpus", h.nr_cpus},
                         {"start_time", h.start_time},
                         {"hostname", h.hostname},
                         {"names", nlohmann::json::object()},
                         {"call_site_sample_bytes", h.call_site_sample_bytes},
                         {"attach",
                          {{"mode", h.attachment.mode},
                           {"attached", h.attachment.attached},
                           {"missing", h.attachment.missing}}}};
  for (const auto& [addr, name] : h.names)
    meta["names"][fmt::format("{:#x}", addr)] = std::string(bounded_name(name));
  // Names read from another recording may be any bytes: not valid UTF-8
  // is replaced, not an exception.
  std::string json = meta.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  Out o;
  o.buf.append(kMagic, sizeof(kMagic));
  o.put(h.format_version);
  o.put(h.abi_version);
  o.put(uint32_t(json.size()));
  o.buf += json;
  o.put(checksum(h.format_version, o.buf));
  return o.buf;
}

namespace {

std::string tick_payload(const Tick& t) {
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
  // ABI 3: call sites and enqueues per queue CPU.
  o.put_all(t.sample.call_sites);
  o.put_all(t.sample.queues);
  return o.buf;
}

// A record's type and length, and the checksum that follows its payload.
struct RecordFrame {
  std::string head;
  uint32_t sum = 0;
};

RecordFrame frame(uint32_t type, const std::string& payload) {
  Out head;
  head.put(type);
  head.put(uint32_t(payload.size()));
  const uint32_t sum = checksum(kRecordingVersion, payload, checksum(kRecordingVersion, head.buf));
  return {std::move(head.buf), sum};
}

std::string record(uint32_t type, const std::string& payload) {
  RecordFrame f = frame(type, payload);
  std::string out = std::move(f.head);
  out += payload;
  out.append(reinterpret_cast<const char*>(&f.sum), sizeof(f.sum));
  return out;
}

}  // namespace

std::string encode_tick(const Tick& t) { return record(kRecordTick, tick_payload(t)); }

std::string encode_names(const SymbolNames& names) {
  return record(kRecordNames, names_payload(names));
}

std::string encode_stacks(const CallStacks& stacks) {
  return record(kRecordStacks, stacks_payload(stacks));
}

RecordingWriter::RecordingWriter(const std::string& path, const RecordingHeader& h)
    : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) {
  if (fd_.get() < 0) throw Error(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
  write_all("the header", {encode_header(h)});
}

RecordingWriter::~RecordingWriter() = default;

// All of `parts` with writev, resumed after short writes; on a failure the
// file is cut back to the complete records before them.
void RecordingWriter::write_all(const std::string& what,
                                std::initializer_list<std::string_view> parts) {
  std::vector<iovec> iov;
  size_t total = 0;
  for (std::string_view p : parts) {
    iov.push_back({const_cast<char*>(p.data()), p.size()});
    total += p.size();
  }
  size_t done = 0;
  for (size_t first = 0; done < total;) {
    const ssize_t n = ::writev(fd_.get(), iov.data() + first, int(iov.size() - first));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      [[maybe_unused]] const int cut = ::ftruncate(fd_.get(), off_t(written_));
      ::lseek(fd_.get(), off_t(written_), SEEK_SET);
      throw Error(
          fmt::format("{}: cannot write {} at byte offset {}: {} (the file keeps the {} "
                      "bytes before it, a valid recording)",
                      path_, what, written_, std::strerror(err), written_));
    }
    done += size_t(n);
    for (size_t left = size_t(n); left;) {  // skip what was written
      const size_t step = std::min(left, iov[first].iov_len);
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + step;
      iov[first].iov_len -= step;
      left -= step;
      if (iov[first].iov_len == 0) first++;
    }
  }
  written_ += total;
}

void RecordingWriter::write_record(uint32_t type, const std::string& payload) {
  // Header, payload and checksum in one writev: a crash in between leaves a
  // partial record the reader reports; a failed write leaves none.
  const RecordFrame f = frame(type, payload);
  write_all(type == kRecordTick    ? "a tick"
            : type == kRecordNames ? "names"
                                   : "stacks",
            {f.head, payload, std::string_view(reinterpret_cast<const char*>(&f.sum), 4)});
}

void RecordingWriter::write_tick(const Tick& t) {
  check_writable(t, path_);
  write_record(kRecordTick, tick_payload(t));
}

void RecordingWriter::write_names(const SymbolNames& names) {
  if (!names.empty()) write_record(kRecordNames, names_payload(names));
}

void RecordingWriter::write_stacks(const CallStacks& stacks) {
  if (!stacks.empty()) write_record(kRecordStacks, stacks_payload(stacks));
}

RecordingReader::RecordingReader(const std::string& path)
    : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (fd_.get() < 0) throw Error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  // A pipe or FIFO (`replay /dev/stdin`, `<(...)`) has no size: it is read
  // to its end, and only a regular file's size is used for checks.
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && S_ISREG(st.st_mode)) size_ = uint64_t(st.st_size);

  auto fail = [&](uint64_t at, const std::string& what) -> Error {
    return Error(
        fmt::format("{}: not a valid rcuwatch recording at byte offset {}: {}", path, at, what));
  };
  std::string head(sizeof(kMagic) + 12, '\0');
  if (const size_t got = read_up_to(head.data(), head.size()); got < head.size())
    throw fail(0, fmt::format("file too short for a header ({} bytes)", got));
  if (std::memcmp(head.data(), kMagic, sizeof(kMagic)) != 0) throw fail(0, "bad magic");
  std::memcpy(&header_.format_version, head.data() + 8, 4);
  std::memcpy(&header_.abi_version, head.data() + 12, 4);
  uint32_t json_len;
  std::memcpy(&json_len, head.data() + 16, 4);
  if (header_.format_version < kOldestRecordingVersion ||
      header_.format_version > kRecordingVersion)
    throw fail(8, fmt::format("format version {} (this rcuwatch reads {} to {})",
                              header_.format_version, kOldestRecordingVersion, kRecordingVersion));
  if (header_.abi_version < 1 || header_.abi_version > RW_ABI_VERSION)
    throw fail(12, fmt::format("event ABI version {} (this rcuwatch reads 1 to {})",
                               header_.abi_version, RW_ABI_VERSION));
  if (json_len > limits::kMaxHeaderJsonBytes)
    throw fail(16, fmt::format("header length {} beyond the limit of {}", json_len,
                               limits::kMaxHeaderJsonBytes));
  if (size_ && json_len > *size_)
    throw fail(16, fmt::format("header length {} beyond the file", json_len));
  ByteBuffer json_bytes;
  uint32_t stored_crc = 0;
  if (read_growing(json_bytes, json_len) < json_len ||
      read_up_to(reinterpret_cast<char*>(&stored_crc), sizeof(stored_crc)) < sizeof(stored_crc))
    throw fail(20, "header truncated");
  const std::string_view json(reinterpret_cast<const char*>(json_bytes.data()), json_len);
  if (checksum(header_.format_version, json, checksum(header_.format_version, head)) != stored_crc)
    throw fail(20, "header checksum mismatch");
  if (const size_t deep = too_deep(json, limits::kMaxHeaderJsonDepth); deep != std::string::npos)
    throw fail(20 + deep, fmt::format("header metadata nested deeper than {} levels",
                                      limits::kMaxHeaderJsonDepth));
  try {
    parse_metadata(nlohmann::json::parse(json.begin(), json.end()), header_);
  } catch (const std::exception& e) {
    throw fail(20, std::string("header metadata: ") + e.what());
  }
  offset_ = head.size() + json_len + 4;
}

RecordingReader::~RecordingReader() = default;

size_t RecordingReader::read_up_to(char* dst, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd_.get(), dst + got, n - got);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      throw Error(fmt::format("{}: read failed at byte offset {}: {}", path_, offset_ + got,
                              std::strerror(errno)));
    }
    got += size_t(r);
  }
  return got;
}

void ByteBuffer::resize(size_t n) {
  if (n > capacity_) {
    const size_t capacity = std::max(n, capacity_ + capacity_ / 2);
    std::unique_ptr<std::byte[]> bigger(new std::byte[capacity]);  // not zero-filled
    prepare_for_filling(bigger.get(), n);  // what is about to be read into it
    if (size_) std::memcpy(bigger.get(), bytes_.get(), size_);
    bytes_ = std::move(bigger);
    capacity_ = capacity;
  }
  size_ = n;
}

// `n` bytes into `out`, which grows only as bytes arrive: a length field of
// 280 MB at the head of a 30-byte pipe must not allocate 280 MB.
size_t RecordingReader::read_growing(ByteBuffer& out, size_t n) {
  constexpr size_t kStep = 1 << 20;
  if (size_) {  // a regular file: checked to hold them
    out.resize(n);
    return read_up_to(reinterpret_cast<char*>(out.data()), n);
  }
  out.resize(0);
  while (out.size() < n) {
    const size_t at = out.size();
    out.resize(at + std::min(kStep, n - at));
    const size_t got = read_up_to(reinterpret_cast<char*>(out.data()) + at, out.size() - at);
    out.resize(at + got);
    if (got == 0) break;
  }
  return out.size();
}

std::optional<Record> RecordingReader::next() {
  if (size_ && offset_ == *size_) return std::nullopt;
  const uint64_t start = offset_;
  auto truncated = [&](uint64_t end, const char* what) {
    return Error(
        fmt::format("{}: truncated at byte offset {} ({}; {} complete bytes before it were read)",
                    path_, end, what, start));
  };
  char hdr[8];
  if (size_ && *size_ - offset_ < sizeof(hdr)) throw truncated(*size_, "partial record header");
  const size_t got = read_up_to(hdr, sizeof(hdr));
  if (got == 0 && !size_) return std::nullopt;  // the end of a pipe, between records
  if (got < sizeof(hdr)) throw truncated(offset_ + got, "partial record header");
  uint32_t type, len;
  std::memcpy(&type, hdr, 4);
  std::memcpy(&len, hdr + 4, 4);
  if (type != kRecordTick && type != kRecordNames && type != kRecordStacks)
    throw Error(
        fmt::format("{}: corrupt record at byte offset {}: unknown type {}", path_, start, type));
  if (len > limits::kMaxRecordPayload)
    throw Error(
        fmt::format("{}: corrupt record at byte offset {}: length {} beyond the limit of {}", path_,
                    start, len, limits::kMaxRecordPayload));
  if (size_ && *size_ - offset_ < uint64_t(sizeof(hdr)) + len + 4)
    throw truncated(*size_, "partial record");
  // Payload and checksum in one read; the payload starts the buffer, so
  // the pending entries in it are 8-byte aligned (get_all copies them whole).
  const size_t body = read_growing(payload_, size_t(len) + 4);
  if (body < size_t(len) + 4) throw truncated(offset_ + sizeof(hdr) + body, "partial record");
  const std::string_view payload(reinterpret_cast<const char*>(payload_.data()), len);
  uint32_t stored_crc;
  std::memcpy(&stored_crc, payload_.data() + len, 4);
  const uint32_t version = header_.format_version;
  const uint32_t head_sum = checksum(version, std::string_view(hdr, sizeof(hdr)));
  auto verify = [&](uint32_t sum) {
    if (sum != stored_crc)
      throw Error(
          fmt::format("{}: corrupt record at byte offset {}: checksum mismatch", path_, start));
    offset_ += sizeof(hdr) + len + 4;
  };

  In in{payload, 0, start + sizeof(hdr), path_};
  if (type == kRecordNames) {
    verify(checksum(version, payload, head_sum));
    SymbolNames names;
    const uint32_t n = in.count(limits::kMaxNames, "names", 8 + 2);
    for (uint32_t i = 0; i < n; i++) {
      auto addr = in.get<uint64_t>();
      auto l = in.get<uint16_t>();
      if (l > limits::kMaxNameBytes) {
        in.pos -= 2;
        in.corrupt(
            fmt::format("name of {} bytes, more than the limit of {}", l, limits::kMaxNameBytes));
      }
      if (payload.size() - in.pos < l) in.corrupt("name ends early");
      names[addr] = std::string(payload.substr(in.pos, l));
      in.pos += l;
    }
    return names;
  }
  if (type == kRecordStacks) {
    verify(checksum(version, payload, head_sum));
    CallStacks stacks;
    const uint32_t n = in.count(limits::kMaxStacks, "stacks", 4 + 4);
    for (uint32_t i = 0; i < n; i++) {
      const auto id = in.get<int32_t>();
      stacks[id] = in.get_all<uint64_t>(limits::kMaxStackDepth, "stack frames");
    }
    if (in.pos != payload.size()) in.corrupt("trailing bytes in record");
    return stacks;
  }

  // The pending entries (5 MB for 100 000) are copied out chunk by chunk
  // right after each chunk is checksummed, while it is in the CPU's cache,
  // and their CPUs checked on the way: one pass over them instead of three.
  Tick t;
  const bool abi1 = header_.abi_version == 1;
  const size_t nr_stats = abi1                       ? RW_STAT_ABI1_NR
                          : header_.abi_version == 2 ? RW_STAT_ABI2_NR
                                                     : RW_STAT_NR;
  const PendingSpan span = find_pending(payload, nr_stats);
  uint32_t max_cpu = 0;
  // Not prepared (interval_memory.hpp), unlike the payload it is copied
  // from: faulted in as it is written, it is whole beside the whole payload
  // only at the end of the copy. Faulted in at once, the two stood at full
  // size through the whole copy, and an exporter replaying 262144 entries
  // peaked 3 MB higher when a scrape came then (51.7 against 48.6 MiB).
  t.sample.pending.reserve(span.count);
  verify(checksum_with_pending(version, payload, head_sum, span,
                               [&](const PendingEntry* first, size_t n) {
                                 for (size_t i = 0; i < n; i++)
                                   max_cpu = std::max(max_cpu, first[i].key.cpu);
                                 t.sample.pending.insert(t.sample.pending.end(), first, first + n);
                               }));

  t.sample.time_ns = in.get<uint64_t>();
  // ABI 1 recordings have fewer counters in stats and in the instance
  // totals (bpf/events.h); those that came later read as 0.
  for (size_t i = 0; i < nr_stats; i++) t.sample.stats[i] = in.get<uint64_t>();
  t.events = in.get_all<rw_event>(limits::kMaxEvents, "lifecycle events");
  const size_t pending_at = in.pos + 4;
  if (span.offset == 0) {  // not copied with the checksum: the counts are wrong, or unaligned
    t.sample.pending = in.get_all<PendingEntry>(limits::kMaxPendingEntries, "pending entries");
    for (const PendingEntry& p : t.sample.pending) max_cpu = std::max(max_cpu, p.key.cpu);
  } else {
    in.pos += 4 + span.count * sizeof(PendingEntry);  // copied with the checksum
  }
  // The aggregator indexes its per-CPU rows by the CPU: one the recorded
  // machine did not have is a corrupt record, not a row to make room for.
  if (max_cpu >= header_.nr_cpus)
    for (size_t i = 0; i < t.sample.pending.size(); i++)
      if (const uint32_t cpu = t.sample.pending[i].key.cpu; cpu >= header_.nr_cpus) {
        in.pos = pending_at + i * sizeof(PendingEntry) + offsetof(rw_pending_key, cpu);
        in.corrupt(fmt::format("pending entry on CPU {}, beyond the recording's {} CPUs", cpu,
                               header_.nr_cpus));
      }
  const size_t totals_size =
      abi1 ? offsetof(rw_instance_totals, preexisting_objects) : sizeof(rw_instance_totals);
  const uint32_t ni =
      in.count(limits::kMaxInstances, "instances", 8 + sizeof(rw_instance_info) + totals_size);
  t.sample.instances.reserve(ni);
  for (uint32_t i = 0; i < ni; i++) {
    InstanceEntry e;
    e.instance = in.get<uint64_t>();
    e.info = in.get<rw_instance_info>();
    e.totals = in.get_prefix<rw_instance_totals>(totals_size);
    t.sample.instances.push_back(e);
  }
  const uint32_t ng =
      in.count(limits::kMaxGracePeriodFlavors, "grace-period flavors", 8 + sizeof(rw_gp_stats));
  t.sample.grace_periods.reserve(ng);
  for (uint32_t i = 0; i < ng; i++) {
    GpEntry g;
    g.key = in.get<uint64_t>();
    g.stats = in.get<rw_gp_stats>();
    t.sample.grace_periods.push_back(g);
  }
  // ABI 3: call sites and enqueues per queue CPU; before, neither.
  t.sample.has_queue_counts = header_.abi_version >= 3;
  if (t.sample.has_queue_counts) {
    t.sample.call_sites = in.get_all<CallSiteEntry>(limits::kMaxCallSites, "call sites");
    t.sample.queues = in.get_all<QueueEntry>(limits::kMaxQueues, "queues");
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
  h.call_site_sample_bytes = source.info().call_site_sample_bytes;
  return h;
}

SymbolNames take_new_names(const SymbolNames& now, SymbolNames& known) {
  SymbolNames fresh;
  for (const auto& [addr, name] : now)
    if (auto it = known.find(addr); it == known.end() || it->second != name) fresh[addr] = name;
  for (const auto& [addr, name] : fresh) known[addr] = name;
  return fresh;
}

CallStacks new_stacks(const CallStacks& now, const std::set<int32_t>& known) {
  CallStacks fresh;
  if (now.size() != known.size())
    for (const auto& [id, ips] : now)
      if (!known.count(id)) fresh[id] = ips;
  return fresh;
}

RecordingTee::RecordingTee(std::unique_ptr<Source> inner, const std::string& path,
                           RecordingFailure on_failure)
    : inner_(std::move(inner)),
      writer_(path, recording_header(*inner_)),
      on_failure_(on_failure),
      written_(inner_->names()) {}

std::optional<Tick> RecordingTee::next(Interval interval, const StopFlag& stop) {
  auto tick = inner_->next(interval, stop);
  if (!failure_.empty()) return tick;  // recording stopped; the ticks go on
  try {
    // New addresses, and names that got better (a later NAMES record wins).
    // A names record that fails is written again with the next tick.
    SymbolNames known = written_;
    writer_.write_names(take_new_names(inner_->names(), known));
    written_ = std::move(known);
    // Call-site stacks first seen: before the tick whose call sites use them.
    const CallStacks fresh = new_stacks(inner_->stacks(), stacks_written_);
    writer_.write_stacks(fresh);
    for (const auto& [id, ips] : fresh) stacks_written_.insert(id);
    if (tick) writer_.write_tick(*tick);
  } catch (const Error& e) {
    if (on_failure_ == RecordingFailure::Stop) throw;
    failure_ = std::string(e.what()) + "; recording stopped";
    spdlog::error("{}; the view goes on", failure_);
  }
  return tick;
}

}  // namespace rcuwatch
