#include "pipeline/orderer.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace gstream::pipeline {
namespace {

core::Event at(std::int64_t ms, std::uint64_t seq) {
    core::Event e;
    e.instant = core::Instant{ms * 1'000'000, 3};
    e.sequence = seq;
    return e;
}

std::vector<std::int64_t> instants_ms(const std::vector<core::Event>& v) {
    std::vector<std::int64_t> out;
    for (const auto& e : v) {
        out.push_back(e.instant.ns / 1'000'000);
    }
    return out;
}

TEST(Orderer, ReleasesInInstantOrderBehindTheWatermark) {
    Orderer o(2000);
    std::vector<core::Event> out;
    o.push(at(10'000, 0), 0, out);
    o.push(at(9'000, 1), 0, out);
    o.push(at(11'500, 2), 0, out);
    EXPECT_EQ(instants_ms(out), (std::vector<std::int64_t>{9'000}));  // watermark 9'500
    o.push(at(12'000, 3), 0, out);  // watermark 10'000
    EXPECT_EQ(instants_ms(out), (std::vector<std::int64_t>{9'000, 10'000}));
    out.clear();
    o.push(at(9'999, 4), 0, out);  // below the watermark: late, emitted at once
    ASSERT_EQ(out.size(), 1U);
    EXPECT_TRUE(out[0].late);
    out.clear();
    o.flush(out);
    EXPECT_EQ(instants_ms(out), (std::vector<std::int64_t>{11'500, 12'000}));
    EXPECT_FALSE(out[0].late);
}

TEST(Orderer, QuietStreamReleasesAfterTheLatenessInProcessingTime) {
    Orderer o(2000);
    std::vector<core::Event> out;
    o.push(at(50'000, 0), 100, out);
    o.push(at(49'000, 1), 150, out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(o.next_deadline_ms(), 2100);
    o.release(2099, out);
    EXPECT_TRUE(out.empty());
    o.release(2100, out);
    EXPECT_EQ(instants_ms(out), (std::vector<std::int64_t>{49'000, 50'000}));
    EXPECT_FALSE(o.next_deadline_ms());
    out.clear();
    o.push(at(49'500, 2), 2200, out);  // behind what was already released: late
    ASSERT_EQ(out.size(), 1U);
    EXPECT_TRUE(out[0].late);
}

TEST(Orderer, TiesKeepArrivalOrder) {
    std::vector<core::Event> out;
    Orderer held(1000);
    for (std::uint64_t i = 0; i < 5; ++i) {
        held.push(at(7, i), 0, out);
    }
    held.flush(out);
    ASSERT_EQ(out.size(), 5U);
    for (std::uint64_t i = 0; i < 5; ++i) {
        EXPECT_EQ(out[i].sequence, i);
    }
}

}  // namespace
}  // namespace gstream::pipeline
