// The first k of a sequence ordered by `comp`, kept while the sequence is
// offered one element at a time: exactly what std::partial_sort(begin,
// begin + k, end, comp) leaves in [begin, begin + k), ties included. The
// detectors describe the largest few of up to 164k lagging queues (1024 CPUs
// x 64 instances x 4 seqs) this way, without a vector of them all.
//
// It makes the moves libstdc++'s partial_sort makes (__heap_select: a heap
// of the first k, each later element that beats its top replaces the top
// through __pop_heap; then __sort_heap), so equal elements end in the same
// order. tests/unit/top_k_test.cpp compares the two on sequences full of ties.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

namespace rcuwatch {

template <typename T, size_t K, typename Compare>
class TopK {
 public:
  explicit TopK(Compare comp = {}) : comp_(comp) {}

  void offer(const T& x) {
    if (n_ < K) {
      heap_[n_++] = x;
      if (n_ == K) std::make_heap(heap_.begin(), heap_.begin() + K, comp_);
      return;
    }
    if (!comp_(x, heap_[0])) return;  // the usual case: not among the first k
    // std::pop_heap(first, first + K + 1) moves heap_[K] into the heap of K
    // as __pop_heap(first, first + K, &x) does in __heap_select.
    heap_[K] = x;
    std::pop_heap(heap_.begin(), heap_.begin() + K + 1, comp_);
  }

  // The first min(k, offered) elements, sorted; after the last offer.
  std::span<const T> sorted() {
    if (!sorted_) {
      if (n_ < K) std::make_heap(heap_.begin(), heap_.begin() + ptrdiff_t(n_), comp_);
      std::sort_heap(heap_.begin(), heap_.begin() + ptrdiff_t(n_), comp_);
      sorted_ = true;
    }
    return {heap_.data(), n_};
  }

 private:
  std::array<T, K + 1> heap_{};  // the heap of K, and room for an element entering it
  size_t n_ = 0;
  bool sorted_ = false;
  Compare comp_;
};

}  // namespace rcuwatch
