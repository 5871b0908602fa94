#include "core/json_canonical.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace gstream::core {
namespace {

std::string canonical(const std::string& text) {
    JsonDocument doc;
    EXPECT_TRUE(doc.parse(text)) << text;
    std::string out;
    CanonicalScratch scratch;
    append_canonical_json(doc.root(), out, scratch);
    EXPECT_TRUE(scratch.empty());
    return out;
}

TEST(JsonCanonical, SortsMembersAtEveryDepthAndDropsWhitespace) {
    EXPECT_EQ(canonical(R"( { "b" : [ {"z":1, "a":2} , [] ], "a" : { } , "aa":null, "":true } )"),
              R"({"":true,"a":{},"aa":null,"b":[{"a":2,"z":1},[]]})");
    // Names compare as UTF-8 bytes, which is code point order: U+00E9 after "z".
    EXPECT_EQ(canonical(R"({"\u00e9":1,"z":2,"Z":3})"), "{\"Z\":3,\"z\":2,\"\xC3\xA9\":1}");
}

TEST(JsonCanonical, WritesStringsWithTheFewestEscapes) {
    EXPECT_EQ(canonical(R"(["\u00e9\/\"\\\b\f\n\r\t\u0001\u001f\u007f","\ud83d\ude00"])"),
              "[\"\xC3\xA9/\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7F\",\"\xF0\x9F\x98\x80\"]");
    EXPECT_EQ(canonical(R"("a\u0000b")"), R"("a\u0000b")");
}

TEST(JsonCanonical, WritesEqualNumbersAlike) {
    EXPECT_EQ(canonical("[1, 1.0, 1E0, 10e-1, -0, -0.0, 0.0e5]"), "[1,1,1,1,0,0,0]");
    EXPECT_EQ(canonical("[2.50, 1e21, 1.5e-7, -9223372036854775808, 123456789012345678901234567890]"),
              "[2.5,1e+21,1.5e-07,-9223372036854775808,123456789012345678901234567890]");
}

TEST(JsonCanonical, RepeatedNamesKeepTheirOrderAndDeepValuesSurviveScratchGrowth) {
    EXPECT_EQ(canonical(R"({"b":1,"a":2,"b":0})"), R"({"a":2,"b":1,"b":0})");
    // Each level's members wait in the scratch vector while deeper ones are pushed behind them.
    std::string text;
    std::string want;
    for (int i = 0; i < 40; ++i) {
        text += R"({"y":)" + std::to_string(i) + R"(,"x":)";
        want += R"({"x":)";
    }
    text += "[]";
    want += "[]";
    for (int i = 39; i >= 0; --i) {
        text += "}";
        want += R"(,"y":)" + std::to_string(i) + "}";
    }
    EXPECT_EQ(canonical(text), want);
}

}  // namespace
}  // namespace gstream::core
