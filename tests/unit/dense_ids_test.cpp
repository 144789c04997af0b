// DenseIds against a std::map of the same keys: ids dense and in first-seen
// order, through the table's growth (sparse below 2048 slots, half full
// beyond), with a hash that spreads the keys and one that puts every key on
// the same slot (every lookup a probe), and every key looked up again.
#include "dense_ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <utility>

namespace rcuwatch {
namespace {

using Key = std::pair<uint64_t, uint32_t>;
struct Spread {
  size_t operator()(const Key& k) const { return hash_words(k.first, k.second); }
};
struct AllOnOneSlot {
  size_t operator()(const Key&) const { return 7; }
};

template <typename Hash>
void check_against_a_map(size_t distinct, int lookups) {
  std::mt19937_64 rng(11);
  DenseIds<Key, Hash> ids;
  std::map<Key, uint32_t> want;
  for (int i = 0; i < lookups; i++) {
    // Instance addresses with zero low bits, as the kernel's are.
    const Key k{0xffff888000000000ull + (rng() % 64) * 0x1000, uint32_t(rng() % (distinct / 64))};
    bool fresh = false;
    const uint32_t id = ids.id(k, fresh);
    const auto [it, first] = want.try_emplace(k, uint32_t(want.size()));
    ASSERT_EQ(fresh, first) << i;
    ASSERT_EQ(id, it->second) << i;
    ASSERT_EQ(ids.size(), want.size());
  }
  // Every key looked up again, in another order than first seen.
  for (const auto& [key, id] : want) {
    bool fresh = true;
    EXPECT_EQ(ids.id(key, fresh), id);
    EXPECT_FALSE(fresh);
  }
  EXPECT_EQ(ids.size(), want.size());
}

TEST(DenseIds, FirstSeenOrderThroughGrowth) {
  check_against_a_map<Spread>(64 * 1024, 200'000);  // 65536 keys: grown far past 2048 slots
}

TEST(DenseIds, EveryKeyOnOneSlotStillFindsItsOwnId) {
  check_against_a_map<AllOnOneSlot>(64 * 16, 5'000);  // 1024 keys, one probe chain
}

}  // namespace
}  // namespace rcuwatch
