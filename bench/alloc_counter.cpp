#include "alloc_counter.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>

namespace rcuwatch::bench {
namespace {

// The replaced operator new has nowhere else to put its counts: this
// thread-local is the bench binary's one piece of global mutable state
// (thread-local, so counting costs no atomics and other threads do not
// disturb a measurement).
struct Counting {
  bool on = false;
  AllocStats s;
};
thread_local Counting counting;

void note_alloc(void* p) {
  if (!counting.on || !p) return;
  const auto n = int64_t(malloc_usable_size(p));
  counting.s.allocations++;
  counting.s.allocated_bytes += uint64_t(n);
  counting.s.live_bytes += n;
  if (counting.s.live_bytes > counting.s.peak_live_bytes)
    counting.s.peak_live_bytes = counting.s.live_bytes;
}

void note_free(void* p) {
  if (counting.on && p) counting.s.live_bytes -= int64_t(malloc_usable_size(p));
}

void* allocate(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  note_alloc(p);
  return p;
}

void* allocate_aligned(std::size_t n, std::align_val_t al) {
  void* p = nullptr;
  if (posix_memalign(&p, std::max(sizeof(void*), std::size_t(al)), n ? n : 1) != 0)
    throw std::bad_alloc();
  note_alloc(p);
  return p;
}

void release(void* p) {
  note_free(p);
  std::free(p);
}

}  // namespace

AllocCounter::AllocCounter() { counting = Counting{true, {}}; }
AllocCounter::~AllocCounter() { counting.on = false; }
AllocStats AllocCounter::stats() const { return counting.s; }

}  // namespace rcuwatch::bench

// Replacements of the global allocation functions ([new.delete]); every
// variant funnels into allocate()/release() above.
using rcuwatch::bench::allocate;
using rcuwatch::bench::allocate_aligned;
using rcuwatch::bench::release;

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t al) { return allocate_aligned(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return allocate_aligned(n, al); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
