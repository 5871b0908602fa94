#include "pipeline/deduplicator.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace gstream::pipeline {
namespace {

std::vector<std::pair<std::string, std::int64_t>> contents(const Deduplicator& d) {
    std::vector<std::pair<std::string, std::int64_t>> out;
    d.for_each([&](std::string_view id, std::int64_t at) { out.emplace_back(id, at); });
    return out;
}

TEST(Deduplicator, ASecondSightingWithinTheWindowIsADuplicate) {
    Deduplicator d(10, 1000);
    EXPECT_FALSE(d.seen("a", 0));
    EXPECT_FALSE(d.seen("b", 1));
    EXPECT_TRUE(d.seen("a", 2));
    EXPECT_TRUE(d.seen("b", 3));
    EXPECT_EQ(d.size(), 2U);
    // A repeat does not refresh the time it was first seen.
    EXPECT_EQ(contents(d), (std::vector<std::pair<std::string, std::int64_t>>{{"a", 0}, {"b", 1}}));
}

TEST(Deduplicator, IdsExpireAfterWindowMs) {
    Deduplicator d(10, 1000);
    EXPECT_FALSE(d.seen("a", 0));
    EXPECT_TRUE(d.seen("a", 999));
    EXPECT_FALSE(d.seen("a", 1000));  // seen at 0, gone at 0 + 1000
    EXPECT_TRUE(d.seen("a", 1999));
    EXPECT_EQ(d.size(), 1U);
}

TEST(Deduplicator, OnlyTheLastWindowEventsIdsAreKept) {
    Deduplicator d(3, 1'000'000);
    for (const char* id : {"a", "b", "c", "d"}) {
        EXPECT_FALSE(d.seen(id, 5));
    }
    EXPECT_EQ(d.size(), 3U);
    EXPECT_FALSE(d.seen("a", 6));  // pushed out by "d"; now "b" is the oldest and goes
    EXPECT_TRUE(d.seen("c", 6));
    EXPECT_FALSE(d.seen("b", 6));
    EXPECT_EQ(contents(d), (std::vector<std::pair<std::string, std::int64_t>>{
                               {"d", 5}, {"a", 6}, {"b", 6}}));
}

TEST(Deduplicator, AZeroWindowRemembersNothing) {
    Deduplicator d(0, 1000);
    EXPECT_FALSE(d.seen("a", 0));
    EXPECT_FALSE(d.seen("a", 0));
    EXPECT_EQ(d.size(), 0U);
    d.remember("a", 0);
    EXPECT_EQ(d.size(), 0U);
}

TEST(Deduplicator, RememberRestoresAWindowOldestFirst) {
    Deduplicator d(2, 1000);
    d.remember("x", -500);
    d.remember("y", -100);
    d.remember("y", -50);  // already there: kept with its first time
    EXPECT_EQ(contents(d),
              (std::vector<std::pair<std::string, std::int64_t>>{{"x", -500}, {"y", -100}}));
    d.remember("z", 0);  // over window_events: the oldest goes
    EXPECT_EQ(contents(d),
              (std::vector<std::pair<std::string, std::int64_t>>{{"y", -100}, {"z", 0}}));
    EXPECT_TRUE(d.seen("z", 100));
    EXPECT_FALSE(d.seen("y", 900));  // seen at -100, expired at 900
}

TEST(Deduplicator, IdsAreComparedByteForByte) {
    Deduplicator d(100, 1000);
    const std::string with_nul("a\0b", 3);
    EXPECT_FALSE(d.seen(with_nul, 0));
    EXPECT_FALSE(d.seen("a", 0));
    EXPECT_FALSE(d.seen("", 0));
    EXPECT_TRUE(d.seen("", 0));
    EXPECT_TRUE(d.seen(with_nul, 0));
    EXPECT_FALSE(d.seen(std::string("a\0c", 3), 0));
}

// Many ids of varied lengths through a small window: every answer matches a plain model, and
// the ids read back intact as the storage wraps and grows.
TEST(Deduplicator, AgreesWithAModelOverManyIds) {
    const std::uint64_t window = 257;
    Deduplicator d(window, 300);
    std::vector<std::pair<std::int64_t, std::string>> model;  // oldest first
    std::uint64_t x = 12345;
    for (int i = 0; i < 20'000; ++i) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::int64_t now = i / 3;
        // A small id space (repeats happen) with lengths from 1 to ~90 bytes.
        const std::uint64_t key = (x >> 33) % 600;
        std::string id = "id-" + std::to_string(key) + std::string(key % 87, 'x');
        auto expired = [&](const auto& e) { return e.first + 300 <= now; };
        while (!model.empty() && (model.size() > window || expired(model.front()))) {
            model.erase(model.begin());
        }
        bool dup = false;
        for (const auto& e : model) {
            dup = dup || e.second == id;
        }
        if (!dup) {
            model.emplace_back(now, id);
            while (!model.empty() && (model.size() > window || expired(model.front()))) {
                model.erase(model.begin());
            }
        }
        ASSERT_EQ(d.seen(id, now), dup) << "step " << i << " id " << id;
        ASSERT_EQ(d.size(), model.size()) << "step " << i;
    }
    std::vector<std::pair<std::string, std::int64_t>> expected;
    for (const auto& [at, id] : model) {
        expected.emplace_back(id, at);
    }
    EXPECT_EQ(contents(d), expected);
}

}  // namespace
}  // namespace gstream::pipeline
