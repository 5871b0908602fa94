// The fast scanner's own code paths (performance issue #5): the tape growing past its first
// reserve, string ends found through a bitmap built 64 bytes at a time, member names hashed from
// 8-byte loads, integers summed while scanned. Each is checked against the RapidJSON path.
#include <gtest/gtest.h>

#include <charconv>
#include <cstring>
#include <string>
#include <vector>

#include "core/json_document.hpp"
#include "tests/support/json_tape.hpp"

namespace gstream::core {
namespace {

std::vector<std::string> dump(const JsonDocument& d) { return test::dump_tape(d); }

// Both parsers accept `text` and build the same tape, also in a reused document.
void expect_same_tape(const std::string& text, JsonDocument* reused = nullptr) {
    JsonDocument fast, slow;
    ASSERT_TRUE(fast.parse(text, JsonParser::kFastOnly)) << text;
    ASSERT_TRUE(slow.parse(text, JsonParser::kRapidJsonOnly)) << text;
    EXPECT_EQ(dump(fast), dump(slow)) << text;
    EXPECT_EQ(fast.has_line_breaks(), slow.has_line_breaks()) << text;
    if (reused != nullptr) {
        ASSERT_TRUE(reused->parse(text, JsonParser::kFastOnly)) << text;
        EXPECT_EQ(dump(*reused), dump(slow)) << text;
    }
}

std::string name(std::size_t length, char fill) { return std::string(length, fill); }

// Names of every length around the 8-byte loads and the 16-byte blocks: distinct names that share
// a prefix, a suffix or a length are not duplicates; the same name twice is, also when one is
// escaped; a name right at the end of the text is hashed without reading past it.
TEST(JsonScanner, MemberNamesOfEveryLengthAreComparedExactly) {
    JsonDocument reused;
    for (std::size_t length = 0; length <= 70; ++length) {
        const std::string a = name(length, 'k');
        std::string b = a;
        if (length > 0) {
            b[length / 2] = 'x';  // same length, same first and last bytes when long enough
        }
        const std::string distinct = "{\"" + a + "\":1,\"" + b + "x\":2,\"" + a + "y\":3}";
        expect_same_tape(distinct, &reused);
        EXPECT_FALSE(reused.root().has_duplicate_key()) << distinct;
        if (length > 0) {
            const std::string same_length = "{\"" + a + "\":1,\"" + b + "\":2}";
            expect_same_tape(same_length, &reused);
            EXPECT_FALSE(reused.root().has_duplicate_key()) << same_length;
        }

        const std::string twice = "{\"" + a + "\":1,\"z\":[],\"" + a + "\":2}";
        expect_same_tape(twice, &reused);
        EXPECT_TRUE(reused.root().has_duplicate_key()) << twice;

        if (length > 0) {
            std::string escaped = a;  // the last byte as \u006b ('k')
            escaped.replace(length - 1, 1, "\\u006b");
            const std::string once_escaped = "{\"" + escaped + "\":1,\"" + a + "\":2}";
            expect_same_tape(once_escaped, &reused);
            EXPECT_TRUE(reused.root().has_duplicate_key()) << once_escaped;
        }

        const std::string at_end = "[{\"" + a + "\":0}]";  // the name's 8 bytes may pass the end
        expect_same_tape(at_end, &reused);
        EXPECT_EQ(reused.root().at_pointer("/0/" + a).get_int64(), 0) << at_end;
    }
}

// Names as dense as a text allows, in malformed texts too (a name every 4 bytes), fit the
// scanner's scratch space: they are refused or parsed, never overrun.
TEST(JsonScanner, DenseNamesInMalformedTexts) {
    JsonDocument doc;
    for (int count = 1; count <= 300; ++count) {
        std::string open;
        std::string members = "{";
        for (int i = 0; i < count; ++i) {
            open += "{\"\":";
            members += (i == 0 ? "\"\":0" : ",\"\":0");
        }
        EXPECT_FALSE(doc.parse(open, JsonParser::kFastOnly)) << count;
        EXPECT_FALSE(doc.parse(open + "\"\"", JsonParser::kFastOnly)) << count;
        expect_same_tape(members + "}", &doc);
        EXPECT_EQ(doc.root().has_duplicate_key(), count > 1);
        EXPECT_FALSE(doc.parse(members, JsonParser::kFastOnly)) << count;
    }
}

// 2,000 names fill the 256-bit filter: every name is then a candidate, and only a real repeat
// (first, middle or last name again) marks the object; a repeat in an inner object marks it and
// its ancestors, not its siblings.
TEST(JsonScanner, DuplicatesBeyondTheFilterAreFoundExactly) {
    std::string members;
    for (int i = 0; i < 2000; ++i) {
        members += (i == 0 ? "\"" : ",\"") + std::string("member") + std::to_string(i) + "\":" +
                   std::to_string(i);
    }
    JsonDocument doc;
    expect_same_tape("{" + members + "}", &doc);
    EXPECT_FALSE(doc.root().has_duplicate_key());
    EXPECT_EQ(doc.root().size(), 2000U);
    EXPECT_EQ(doc.root().find("member1999").get_int64(), 1999);
    for (const char* again : {"member0", "member1000", "member1999"}) {
        const std::string text = "{" + members + ",\"" + again + "\":true}";
        expect_same_tape(text, &doc);
        EXPECT_TRUE(doc.root().has_duplicate_key()) << again;
    }
    const std::string nested =
        "{\"a\":{" + members + "},\"b\":{\"c\":{\"d\":1,\"d\":2}},\"e\":{\"d\":1}}";
    expect_same_tape(nested, &doc);
    EXPECT_TRUE(doc.root().has_duplicate_key());
    EXPECT_FALSE(doc.root().find("a").has_duplicate_key());
    EXPECT_TRUE(doc.root().find("b").has_duplicate_key());
    EXPECT_TRUE(doc.root().at_pointer("/b/c").has_duplicate_key());
    EXPECT_FALSE(doc.root().find("e").has_duplicate_key());
}

// "[0,0,...]" has a node per two bytes, six times the first reserve: the tape grows while parsing
// (keeping what it holds), and a reused document parses smaller texts after it exactly.
TEST(JsonScanner, TapeGrowsPastItsFirstReserve) {
    JsonDocument doc;
    expect_same_tape("{\"a\":[1]}", &doc);
    for (const int count : {10, 100, 1000, 100000}) {
        std::string text = "[";
        for (int i = 0; i < count; ++i) {
            text += (i == 0 ? "" : ",") + std::to_string(i % 10);
        }
        text += "]";
        expect_same_tape(text, &doc);
        ASSERT_EQ(doc.root().size(), static_cast<std::size_t>(count));
        EXPECT_EQ(doc.root().at_pointer("/" + std::to_string(count - 1)).get_int64(),
                  (count - 1) % 10);
        EXPECT_EQ(doc.root().raw(), text);
        expect_same_tape("{\"b\":{\"c\":[true,null]}}", &doc);
        EXPECT_EQ(doc.root().at_pointer("/b/c/1").type(), JsonType::kNull);
    }
    std::string deep;  // nodes and open containers both grow
    for (int i = 0; i < 3000; ++i) {
        deep += "{\"k\":[";
    }
    deep += "0";
    for (int i = 0; i < 3000; ++i) {
        deep += "]}";
    }
    expect_same_tape(deep, &doc);
    EXPECT_EQ(doc.root().height(), 6000U);
}

// Strings of every length at every offset within a 64-byte word, in texts of every length up to
// 200 (below one 16-byte block, across words, ending right after a string), with escapes and
// control characters around the word boundaries.
TEST(JsonScanner, StringEndsAcrossBitmapWords) {
    JsonDocument doc;
    for (std::size_t pad = 0; pad < 70; ++pad) {
        for (const std::size_t length : {0, 1, 7, 15, 16, 17, 31, 47, 62, 63, 64, 65, 100}) {
            const std::string value = name(length, 'v');
            const std::string text = "[" + std::string(pad, ' ') + "\"" + value + "\"]";
            expect_same_tape(text, &doc);
            EXPECT_EQ(doc.root().at_pointer("/0").get_string(), value);
            const std::string root = std::string(pad, ' ') + "\"" + value + "\"";  // ends the text
            expect_same_tape(root, &doc);
            EXPECT_EQ(doc.root().get_string(), value);
        }
        const std::string escaped = "[" + std::string(pad, ' ') + "\"a\\\"b\\\\c\\u00e9\\n\"]";
        expect_same_tape(escaped, &doc);
        EXPECT_EQ(doc.root().at_pointer("/0").get_string(), "a\"b\\c\xc3\xa9\n");
        for (const char control : {'\x01', '\x1f', '\n', '\t', '\0'}) {
            const std::string bad =
                "[" + std::string(pad, ' ') + "\"abc" + std::string(1, control) + "def\"]";
            // (RapidJSON's SSE2 scan lets a raw 0x1F through at some alignments: only the fast
            // path is checked here.)
            EXPECT_FALSE(doc.parse(bad, JsonParser::kFastOnly)) << pad;
        }
        const std::string unterminated = "[" + std::string(pad, ' ') + "\"abc";
        EXPECT_FALSE(doc.parse(unterminated, JsonParser::kFastOnly)) << pad;
    }
    for (std::size_t length = 0; length < 200; ++length) {
        const std::string text = "\"" + name(length, '\x7f') + "\"";  // 0x7f and 0x7d are plain
        expect_same_tape(text, &doc);
        expect_same_tape("[\"" + name(length, '}') + "\",\"\\\"\"]", &doc);
    }
    // Multi-byte UTF-8: bytes >= 0x80 are plain.
    expect_same_tape("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xef\xbf\xbf\"", &doc);
}

// Integers of up to 18 digits are summed while scanned; 19 and more go through from_chars, and
// those outside int64 are kBigInteger.
TEST(JsonScanner, IntegersOfEveryWidth) {
    JsonDocument doc;
    std::string digits;
    for (int width = 1; width <= 22; ++width) {
        digits += static_cast<char>('0' + (width % 9) + 1);
        for (const std::string& text : {digits, "-" + digits}) {
            expect_same_tape(text, &doc);
            std::int64_t expected = 0;
            const char* last = text.data() + text.size();
            const auto [ptr, ec] = std::from_chars(text.data(), last, expected);
            if (ec == std::errc{}) {
                EXPECT_EQ(doc.root().type(), JsonType::kInteger) << text;
                EXPECT_EQ(doc.root().get_int64(), expected) << text;
            } else {
                EXPECT_EQ(doc.root().type(), JsonType::kBigInteger) << text;
                EXPECT_TRUE(doc.root().has_big_integer()) << text;
            }
        }
    }
    for (const char* text :
         {"999999999999999999", "-999999999999999999", "1000000000000000000",
          "9223372036854775807", "-9223372036854775808", "9223372036854775808",
          "-9223372036854775809", "0", "-0", "[0,-0,10,-10,1.5,2e3]",
          "{\"a\":[99999999999999999999]}"}) {
        expect_same_tape(text, &doc);
    }
    ASSERT_TRUE(doc.parse("{\"a\":[1,{\"b\":99999999999999999999}],\"c\":[2]}"));
    EXPECT_TRUE(doc.root().has_big_integer());
    EXPECT_TRUE(doc.root().at_pointer("/a").has_big_integer());
    EXPECT_FALSE(doc.root().at_pointer("/c").has_big_integer());
}

// find() compares lengths first: names that share a prefix or a length, the empty name.
TEST(JsonScanner, FindMatchesWholeNamesOnly) {
    JsonDocument doc;
    ASSERT_TRUE(doc.parse(R"({"queue":1,"queueId":2,"queuf":3,"":4,"q\u0075eueName":5})"));
    EXPECT_EQ(doc.root().find("queue").get_int64(), 1);
    EXPECT_EQ(doc.root().find("queueId").get_int64(), 2);
    EXPECT_EQ(doc.root().find("queuf").get_int64(), 3);
    EXPECT_EQ(doc.root().find("").get_int64(), 4);
    EXPECT_EQ(doc.root().find("queueName").get_int64(), 5);
    EXPECT_FALSE(doc.root().find("queu").valid());
    EXPECT_FALSE(doc.root().find("queueIds").valid());
    EXPECT_FALSE(doc.root().find("queue").find("x").valid());
}

// Utf8::kTrusted (WebSocket text messages, which Beast has checked) builds the same tape; only
// kCheck looks at the encoding, so invalid UTF-8 is refused there (and by the fallback).
TEST(JsonScanner, TrustedUtf8BuildsTheSameTapeAndOnlyKCheckRefusesBadBytes) {
    const std::string valid = R"({"name":"Ren\u00e9e Ã©tÃ©","n":[1,2.5,"â¬"]})";
    JsonDocument checked;
    JsonDocument trusted;
    ASSERT_TRUE(checked.parse_in_place(valid, JsonParser::kAuto, Utf8::kCheck));
    ASSERT_TRUE(trusted.parse_in_place(valid, JsonParser::kAuto, Utf8::kTrusted));
    EXPECT_EQ(dump(checked), dump(trusted));

    const std::string overlong = "{\"a\":\"\xc0\xaf\"}";
    JsonDocument d;
    EXPECT_FALSE(d.parse_in_place(overlong, JsonParser::kAuto, Utf8::kCheck));
    EXPECT_EQ(d.error().message, "invalid UTF-8");
    EXPECT_FALSE(d.parse_in_place(overlong, JsonParser::kFastOnly, Utf8::kCheck));
}

// RapidJSON 1.1's SSE2 string scan lets a raw U+001F through at some alignments (16 of these 64
// in the release build; how many depends on the build); the fast path refuses it, and so must
// the document whichever parser ends up deciding.
TEST(JsonScanner, ARawUnitSeparatorInAStringIsRefusedAtEveryAlignment) {
    for (int pad = 0; pad < 64; ++pad) {
        const std::string text = "[" + std::string(pad, ' ') + "\"abc\x1f" + "def\"]";
        for (const JsonParser parser : {JsonParser::kAuto, JsonParser::kRapidJsonOnly}) {
            JsonDocument d;
            EXPECT_FALSE(d.parse(text, parser)) << "pad " << pad;
        }
    }
}

}  // namespace
}  // namespace gstream::core
