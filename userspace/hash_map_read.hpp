// Reading a whole BPF hash map (BPF_MAP_TYPE_HASH or BPF_MAP_TYPE_PERCPU_HASH)
// from userspace while the kernel keeps inserting and deleting entries.
//
// A walk with BPF_MAP_GET_NEXT_KEY is not enough: when the key the walk
// stands on is deleted, the kernel restarts from the first key
// (kernel/bpf/hashtab.c, htab_map_get_next_key: "key was not found, return
// the first element"), so a sample counts entries twice. Batch lookups
// (BPF_MAP_LOOKUP_BATCH, Linux 5.6) walk by bucket index instead and copy each
// bucket whole under its lock (__htab_map_lookup_and_delete_batch); an entry
// stays in its bucket for life, so every entry present during the whole read
// is returned exactly once, and entries added or deleted meanwhile at most
// once. Kernels without batch ops get two key walks whose keys are taken
// once each (repeats dropped, walking on after a restart): nearly the same
// guarantee (one walk can jump over entries; see read_key_walk).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace rcuwatch {

enum class HashMapRead {
  Auto,     // batch ops, or the key walk if the kernel lacks them
  Batch,    // batch ops only (throws where the kernel lacks them)
  KeyWalk,  // get_next_key + lookup, repeats dropped (the fallback)
};

// Consecutive entries as the kernel lays them out: `count` keys of
// `key_size` bytes, and for each one value of `value_stride` bytes (a
// per-CPU map: one 8-byte-aligned slot per possible CPU, value_size bytes used).
struct HashMapChunk {
  const std::byte* keys = nullptr;
  const std::byte* values = nullptr;
  size_t count = 0;
  size_t key_size = 0;
  size_t value_size = 0;    // of one value (one CPU's, per-CPU maps)
  size_t value_stride = 0;  // between two entries' values
  size_t cpus = 1;          // values per entry: possible CPUs of a per-CPU map, else 1

  const std::byte* key(size_t i) const { return keys + i * key_size; }
  const std::byte* value(size_t i, size_t cpu = 0) const {
    return values + i * value_stride + cpu * cpu_stride();
  }
  size_t cpu_stride() const { return cpus > 1 ? (value_size + 7) / 8 * 8 : value_size; }
};

// What the last read did.
struct HashMapReadStats {
  bool batch = false;     // read with batch ops
  uint64_t syscalls = 0;  // bpf() calls of the last read
  uint64_t repeated = 0;  // key walk: keys met again (a restart, or the second walk), dropped
  bool complete = true;   // key walk: false if it gave up (the map kept restarting it)
};

// One map, read whole on every read(); keeps its buffers between reads.
// Throws Error if the fd is not a hash or per-CPU hash map.
class HashMapReader {
 public:
  // chunk_entries: entries per batch call (grown when a bucket holds more).
  explicit HashMapReader(int fd, HashMapRead how = HashMapRead::Auto, size_t chunk_entries = 8192);

  // Calls `f` once per chunk; every entry of the map is in exactly one
  // chunk (see the top of this file for what "every" means under churn).
  void read(const std::function<void(const HashMapChunk&)>& f);

  const HashMapReadStats& stats() const { return stats_; }
  uint32_t max_entries() const { return max_entries_; }

 private:
  bool read_batch(const std::function<void(const HashMapChunk&)>& f);
  void read_key_walk(const std::function<void(const HashMapChunk&)>& f);
  HashMapChunk chunk(size_t count) const;

  int fd_;
  HashMapRead how_;
  size_t chunk_entries_;
  size_t key_size_ = 0;
  size_t value_size_ = 0;
  size_t cpus_ = 1;
  size_t value_stride_ = 0;
  uint32_t max_entries_ = 0;
  std::vector<std::byte> keys_;
  std::vector<std::byte> values_;
  HashMapReadStats stats_;
};

}  // namespace rcuwatch
