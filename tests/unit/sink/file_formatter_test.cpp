#include "sink/file/file_formatter.hpp"

#include <gtest/gtest.h>

#include "pipeline/decoder.hpp"

namespace gstream::sink::file {
namespace {

std::string format_first(const std::string& message) {
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload = message;
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    EXPECT_EQ(out.events.size(), 1U);
    std::string line;
    format_event(out.events.at(0), line);
    return line;
}

TEST(FileFormatter, WritesTheDocumentedLineWithOriginalEscapes) {
    const std::string line = format_first(
        R"({"subscriptionId":"s","events":[{"id":"e\u00e91","timestamp":"2026-11-30T11:15:02.1+01:00",)"
        R"("eventType":"acd.start","data":{"queueId":"q1", "conversationId":"c\"1",)"
        "\n  \"n\": 1.50, \"s\":\"a\\u0000b\\n\"}}]}");
    EXPECT_EQ(line,
              R"({"id":"e\u00e91","eventType":"acd.start","eventTime":"2026-11-30T10:15:02.100Z",)"
              R"("queueId":"q1","conversationId":"c\"1","data":{"queueId":"q1","conversationId":"c\"1",)"
              R"("n":1.50,"s":"a\u0000b\n"}})"
              "\n");
}

TEST(FileFormatter, KeepsSubMillisecondDigitsAndFlagsLate) {
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload =
        R"({"subscriptionId":"s","events":[{"id":"x","timestamp":"2026-11-30T10:15:02.123456Z","eventType":"acw","data":{}}]})";
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    out.events.at(0).late = true;
    std::string line;
    format_event(out.events.at(0), line);
    EXPECT_EQ(line,
              R"({"id":"x","eventType":"acw","eventTime":"2026-11-30T10:15:02.123456Z","late":true,"data":{}})"
              "\n");
}

TEST(FileFormatter, MinifiesOnlyOutsideStrings) {
    std::string out;
    append_minified("{ \"a b\" :\t[ 1 ,\r\n \"x\\\" y\" ] }", out);
    EXPECT_EQ(out, R"({"a b":[1,"x\" y"]})");
}

}  // namespace
}  // namespace gstream::sink::file
