#include "pending_slots.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "error.hpp"

namespace rcuwatch {

namespace {

// A slot as the kernel lays it out (value size rounded up to 8: already is).
static_assert(sizeof(rw_pending_slot) % 8 == 0 && sizeof(rw_pending_slot) == 7 * 8);

// Words read with relaxed atomics: the kernel writes them concurrently.
uint64_t load(const uint64_t* p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

// Copies slot `s` into `e`, consistently with its generation; false while
// a writer is inside it (odd generation) or changed it during the copy.
// Field by field from the words read, not through a buffer: a 16-byte
// copy out of words just stored stalls on store forwarding, which had
// made this loop 4x a memcpy of the slots.
bool copy_slot(const rw_pending_slot* s, PendingEntry& e) {
  const auto* words = reinterpret_cast<const uint64_t*>(s);  // gen, key (3), val (3)
  const uint64_t before = __atomic_load_n(words, __ATOMIC_ACQUIRE);
  if (before & 1) return false;
  const uint64_t instance = load(words + 1), seq = load(words + 2), cpu_where = load(words + 3);
  const uint64_t objects = load(words + 4), bytes = load(words + 5), first = load(words + 6);
  std::atomic_thread_fence(std::memory_order_acquire);
  if (load(words) != before) return false;
  e.key.instance = instance & ~RW_SLOT_TAG_MASK;  // list and expired seqs' slots are tagged
  e.key.seq = seq;
  // key.cpu then key.where share one word, in memory order.
  static_assert(offsetof(rw_pending_key, where) == offsetof(rw_pending_key, cpu) + 4);
  uint32_t halves[2];
  std::memcpy(halves, &cpu_where, sizeof halves);
  e.key.cpu = halves[0];
  e.key.where = halves[1];
  e.val.objects = int64_t(objects);
  e.val.bytes = int64_t(bytes);
  e.val.first_enqueue_ns = first;
  return true;
}

}  // namespace

PendingSlots::PendingSlots(int fd, size_t slots) : count_(slots) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  mapped_bytes_ = (slots * sizeof(rw_pending_slot) + page - 1) / page * page;
  void* p = mmap(nullptr, mapped_bytes_, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    throw Error(std::string("cannot map the BPF pending slots: ") + std::strerror(errno));
  slots_ = static_cast<const rw_pending_slot*>(p);
}

PendingSlots::~PendingSlots() { munmap(const_cast<rw_pending_slot*>(slots_), mapped_bytes_); }

void PendingSlots::read(std::vector<PendingEntry>& out) const {
  // A writer is inside a slot for a few instructions, under the queue's
  // spinlock with interrupts off: a slot that stays mid-change this long
  // means the map is not what this rcuwatch wrote.
  constexpr size_t kMaxTries = size_t{1} << 24;
  for (size_t i = 0; i < count_; i++) {
    const rw_pending_slot* s = slots_ + i;
    // Free slots, the common case, without the full copy (word 1: key.instance).
    const auto* words = reinterpret_cast<const uint64_t*>(s);
    if (load(words + 1) == 0 && !(load(words) & 1)) continue;
    PendingEntry e;
    size_t tries = 0;
    while (!copy_slot(s, e)) {
      if (++tries == kMaxTries)
        throw Error("BPF pending slot " + std::to_string(i) + " stays in the middle of a change");
      retries_++;
    }
    // Free, or a seq whose objects were all dequeued (it keeps its slot until processed).
    if (e.key.instance == 0 || (e.val.objects == 0 && e.val.bytes == 0)) continue;
    out.push_back(e);
  }
}

}  // namespace rcuwatch
