#include "core/time.hpp"

#include <gtest/gtest.h>

namespace gstream::core {
namespace {

TEST(Rfc3339, ParsesOffsetsAndFractions) {
    const auto a = parse_rfc3339("2026-11-30T10:15:02.125Z");
    const auto b = parse_rfc3339("2026-11-30T11:15:02.125+01:00");
    const auto c = parse_rfc3339("2026-11-30T10:15:02.1250001Z");
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->ns, b->ns);
    EXPECT_EQ(c->ns, a->ns + 100);
    EXPECT_EQ(a->digits, 3);
    EXPECT_EQ(c->digits, 9);
    EXPECT_EQ(parse_rfc3339("2026-11-30T10:15:02.1+00:00")->ns, a->ns - 25'000'000);
    EXPECT_EQ(parse_rfc3339("2026-11-30T10:15:02Z")->ns % 1'000'000'000, 0);
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z")->ns, 0);
}

TEST(Rfc3339, RejectsImpossibleOrAmbiguous) {
    for (const char* bad :
         {"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-30T10:15:02", "2026-11-30 10:15:02Z",
          "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T10:15:60Z", "1969-12-31T23:59:59Z",
          "2263-01-01T00:00:00Z", "2026-11-30T10:15:02.Z", "2026-11-30T10:15:02+0100", "x"}) {
        EXPECT_FALSE(parse_rfc3339(bad)) << bad;
    }
    EXPECT_TRUE(parse_rfc3339("2024-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_rfc3339("1970-01-01T00:30:00+01:00"));
}

TEST(Rfc3339, FormatsInUtcWithDigits) {
    EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-30T11:15:02.1+01:00")),
              "2026-11-30T10:15:02.100Z");
    EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-11-30T10:15:02.1234Z")),
              "2026-11-30T10:15:02.123400Z");
    EXPECT_EQ(format_rfc3339(*parse_rfc3339("2000-02-29T23:59:59.123456789-00:30")),
              "2000-03-01T00:29:59.123456789Z");
    EXPECT_EQ(format_rfc3339(*instant_from_epoch_ms(1775121295301)), "2026-04-02T09:14:55.301Z");
}

}  // namespace
}  // namespace gstream::core
