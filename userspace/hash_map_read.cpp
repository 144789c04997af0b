#include "hash_map_read.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_set>

#include "error.hpp"

namespace rcuwatch {

namespace {

// Not in the UAPI headers: the kernel's "operation not supported" (include/linux/errno.h).
constexpr int kENOTSUPP = 524;

// What a kernel without batch ops, or a map type without them, answers
// BPF_MAP_LOOKUP_BATCH (an unknown command is -EINVAL, kernel/bpf/syscall.c).
bool batch_unsupported(int err) {
  return err == EINVAL || err == kENOTSUPP || err == EOPNOTSUPP || err == ENOSYS;
}

std::string errno_text(int err) { return err == kENOTSUPP ? "not supported" : std::strerror(err); }

}  // namespace

HashMapReader::HashMapReader(int fd, HashMapRead how, size_t chunk_entries)
    : fd_(fd), how_(how), chunk_entries_(chunk_entries ? chunk_entries : 1) {
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    throw Error("cannot read BPF map info: " + errno_text(errno));
  if (info.type != BPF_MAP_TYPE_HASH && info.type != BPF_MAP_TYPE_PERCPU_HASH)
    throw Error(std::string("BPF map ") + info.name + " is not a hash map");
  key_size_ = info.key_size;
  value_size_ = info.value_size;
  max_entries_ = info.max_entries;
  if (info.type == BPF_MAP_TYPE_PERCPU_HASH) {
    const int n = libbpf_num_possible_cpus();
    if (n <= 0) throw Error("cannot read the number of possible CPUs");
    cpus_ = size_t(n);
    value_stride_ = (value_size_ + 7) / 8 * 8 * cpus_;
  } else {
    value_stride_ = value_size_;
  }
}

HashMapChunk HashMapReader::chunk(size_t count) const {
  HashMapChunk c;
  c.keys = keys_.data();
  c.values = values_.data();
  c.count = count;
  c.key_size = key_size_;
  c.value_size = value_size_;
  c.value_stride = value_stride_;
  c.cpus = cpus_;
  return c;
}

void HashMapReader::read(const std::function<void(const HashMapChunk&)>& f) {
  stats_ = {};
  if (how_ != HashMapRead::KeyWalk) {
    if (read_batch(f)) return;
    spdlog::debug("BPF map batch lookups unavailable: reading maps key by key");
    how_ = HashMapRead::KeyWalk;  // the kernel will not grow them while we run
  }
  read_key_walk(f);
}

// Returns false, having delivered nothing, if the kernel has no batch ops.
bool HashMapReader::read_batch(const std::function<void(const HashMapChunk&)>& f) {
  // The batch token of a hash map is a bucket index (u32); 8 bytes are room enough.
  uint64_t in_token = 0, out_token = 0;
  bool first = true;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (;;) {
    if (keys_.size() < chunk_entries_ * key_size_) keys_.resize(chunk_entries_ * key_size_);
    if (values_.size() < chunk_entries_ * value_stride_)
      values_.resize(chunk_entries_ * value_stride_);
    uint32_t count = uint32_t(chunk_entries_);
    const int ret = bpf_map_lookup_batch(fd_, first ? nullptr : &in_token, &out_token, keys_.data(),
                                         values_.data(), &count, &opts);
    stats_.syscalls++;
    const int err = ret < 0 ? -ret : 0;
    if (err == ENOSPC && count == 0) {  // one bucket holds more than a chunk
      chunk_entries_ *= 2;
      continue;
    }
    if (err && err != ENOENT) {  // ENOENT: the last bucket was read
      if (first && batch_unsupported(err) && how_ == HashMapRead::Auto) return false;
      throw Error("BPF map batch lookup failed: " + errno_text(err));
    }
    stats_.batch = true;
    if (count) f(chunk(count));
    if (err == ENOENT) return true;
    in_token = out_token;
    first = false;
  }
}

// Without batch ops: a key walk. A key met again (the walk restarted
// because the key it stood on was deleted, or an entry was re-inserted at
// its bucket's head) is dropped, and the walk goes on to the end. One walk
// can still skip entries: a preallocated map recycles a deleted element at
// once, and when the element the kernel just found is recycled into
// another bucket before it reads the next pointer (htab_map_get_next_key),
// the walk jumps to that bucket, past the ones between. So the map is
// walked twice and the keys of both walks taken once each: an entry that
// lived through the read is missed only if both walks jump over it
// (MapChurnTest saw one such jump in a few hundred single-walk reads, on a
// loaded machine). A walk gives up, and says so, only after many times the
// map's size in steps, so that it cannot hang.
void HashMapReader::read_key_walk(const std::function<void(const HashMapChunk&)>& f) {
  std::unordered_set<std::string> seen;
  std::vector<std::byte> prev(key_size_), next(key_size_);
  size_t count = 0;
  const uint64_t max_steps = 16 * uint64_t(max_entries_) + 1024;
  for (int walk = 0; walk < 2; walk++) {
    bool have_prev = false;
    for (uint64_t steps = 0;; steps++) {
      if (steps == max_steps) {
        stats_.complete = false;
        spdlog::warn("BPF map changed too fast to read key by key: {} entries read", count);
        break;
      }
      stats_.syscalls++;
      if (bpf_map_get_next_key(fd_, have_prev ? prev.data() : nullptr, next.data()) != 0) {
        if (errno == ENOENT) break;
        throw Error("BPF map walk failed: " + errno_text(errno));
      }
      prev.swap(next);
      have_prev = true;
      std::string key(reinterpret_cast<const char*>(prev.data()), key_size_);
      if (seen.count(key)) {
        stats_.repeated++;
        continue;
      }
      if ((count + 1) * key_size_ > keys_.size()) keys_.resize((count + 1) * key_size_ * 2);
      if ((count + 1) * value_stride_ > values_.size())
        values_.resize((count + 1) * value_stride_ * 2);
      stats_.syscalls++;
      if (bpf_map_lookup_elem(fd_, prev.data(), values_.data() + count * value_stride_) != 0)
        continue;  // deleted since get_next_key: it did not live through the read
      std::memcpy(keys_.data() + count * key_size_, prev.data(), key_size_);
      seen.insert(std::move(key));
      count++;
    }
  }
  if (count) f(chunk(count));
}

}  // namespace rcuwatch
