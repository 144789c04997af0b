// Open addressing from a key to a dense id: 0, 1, 2, ... in the order the
// keys were first seen, so that whatever is kept per key can live in a
// plain vector indexed by id. The per-interval paths that group or count by
// a key use it: the seqs of a sample's pending entries (a few hundred keys,
// one lookup per entry) and the instances of the processing events (one
// lookup per event, before its CPU's place in the instance's array). A lookup is one hash and, as
// nearly always, one slot read: no node per key, no division.
//
// `Hash` maps a key to a well-mixed size_t; `Key` has operator==.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rcuwatch {

// A hash of a key made of two words (an instance's address and a seq or a
// CPU), for DenseIds: each word times an odd constant, the high half folded
// into the low bits the table's mask keeps (addresses have zero low bits).
inline size_t hash_words(uint64_t a, uint64_t b) {
  const uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b * 0xc2b2ae3d27d4eb4full;
  return size_t(h ^ (h >> 32));
}

template <typename Key, typename Hash>
class DenseIds {
 public:
  // The key's id; `fresh` says whether it was first seen now. Inlined where
  // the key is in the first slot it probes, as nearly every key is (see
  // load_divisor).
  uint32_t id(const Key& k, bool& fresh) {
    const size_t hash = Hash{}(k), i = hash & mask();
    const Slot& s = slots_[i];
    if (__builtin_expect(s.id != kEmpty && s.key == k, 1)) {
      fresh = false;
      return s.id;
    }
    return probe(k, i, fresh);
  }

  uint32_t size() const { return size_; }

 private:
  // From slot i on: the key's slot, or the empty one where it goes.
  __attribute__((noinline)) uint32_t probe(const Key& k, size_t i, bool& fresh) {
    for (;; i = (i + 1) & mask()) {
      Slot& s = slots_[i];
      if (s.id == kEmpty) {
        s = {k, size_++};
        if (size_t(size_) * load_divisor() > slots_.size()) grow();
        fresh = true;
        return size_ - 1;
      }
      if (s.key == k) {
        fresh = false;
        return s.id;
      }
    }
  }
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    Key key{};
    uint32_t id = kEmpty;
  };
  size_t mask() const { return slots_.size() - 1; }
  // Sparse while the table fits in the L1 cache (a lookup then ends at its
  // first slot, nearly always: a branch predicted, not a loop); half full
  // beyond.
  size_t load_divisor() const { return slots_.size() < kSparseSlots ? 8 : 2; }
  static constexpr size_t kSparseSlots = 2048;
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.id == kEmpty) continue;
      size_t i = Hash{}(s.key) & mask();
      while (slots_[i].id != kEmpty) i = (i + 1) & mask();
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_ = std::vector<Slot>(256);
  uint32_t size_ = 0;
};

}  // namespace rcuwatch
