// TopK leaves what std::partial_sort leaves, ties in the same order: the
// detectors' contributions must not change with the way they are selected.
#include "top_k.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

namespace rcuwatch {
namespace {

// (key, position offered): only the key is compared, so equal keys show
// which of them partial_sort keeps and in what order.
using Item = std::pair<int, int>;
struct MoreKey {
  bool operator()(const Item& a, const Item& b) const { return a.first > b.first; }
};

std::vector<Item> partial_sorted(std::vector<Item> v, size_t k) {
  const size_t n = std::min(v.size(), k);
  std::partial_sort(v.begin(), v.begin() + ptrdiff_t(n), v.end(), MoreKey{});
  v.resize(n);
  return v;
}

TEST(TopK, LeavesWhatPartialSortLeavesTiesIncluded) {
  std::mt19937 rng(11);
  size_t tied_orders = 0;  // ties the test saw kept in an order other than offered
  for (int round = 0; round < 3000; round++) {
    const size_t n = rng() % 40;
    const int keys = 1 + int(rng() % 6);  // few distinct keys: many ties
    std::vector<Item> v;
    for (size_t i = 0; i < n; i++) v.emplace_back(int(rng() % unsigned(keys)), int(i));
    TopK<Item, 8, MoreKey> top;
    for (const Item& x : v) top.offer(x);
    const auto got = top.sorted();
    const std::vector<Item> want = partial_sorted(v, 8);
    ASSERT_EQ(std::vector<Item>(got.begin(), got.end()), want) << "round " << round;
    for (size_t i = 1; i < want.size(); i++)
      tied_orders += want[i - 1].first == want[i].first && want[i - 1].second > want[i].second;
    const auto again = top.sorted();  // the same, asked twice
    ASSERT_EQ(std::vector<Item>(again.begin(), again.end()), want);
  }
  EXPECT_GT(tied_orders, 0u) << "no sequence tells a stable selection from partial_sort's";
}

TEST(TopK, FewerThanKAreAllKeptSorted) {
  TopK<Item, 8, MoreKey> top;
  EXPECT_TRUE(top.sorted().empty());
  TopK<Item, 8, MoreKey> three;
  for (const Item& x : {Item{1, 0}, Item{5, 1}, Item{3, 2}}) three.offer(x);
  const auto got = three.sorted();
  EXPECT_EQ(std::vector<Item>(got.begin(), got.end()), (std::vector<Item>{{5, 1}, {3, 2}, {1, 0}}));
}

}  // namespace
}  // namespace rcuwatch
