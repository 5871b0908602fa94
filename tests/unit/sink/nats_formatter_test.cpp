#include "sink/nats/nats_formatter.hpp"

#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/decoder.hpp"

namespace gstream::sink::nats {
namespace {

/// The one event of an envelope message (kept alive by `keep`).
core::Event decode(const std::string& event_json) {
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload = R"({"subscriptionId":"s","events":[)" + event_json + "]}";
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    EXPECT_EQ(out.events.size(), 1U) << event_json;
    return out.events.at(0);
}

SubjectTemplate parse(const std::string& text) {
    std::string error;
    std::optional<SubjectTemplate> t = SubjectTemplate::parse(text, error);
    EXPECT_TRUE(t.has_value()) << error;
    return t.value();
}

std::string parse_error(const std::string& text) {
    std::string error;
    EXPECT_FALSE(SubjectTemplate::parse(text, error).has_value()) << text;
    return error;
}

std::string render(const std::string& text, const core::Event& e) {
    std::string out;
    parse(text).render(e, out);
    return out;
}

const char* kEvent =
    R"({"id":"ev-1","timestamp":"2026-11-30T10:00:00Z","eventType":"acd.end",)"
    R"("data":{"queueId":"q 1.a*b>c","conversationId":"conv-7"}})";

TEST(NatsSubject, PlaceholdersTakeTheEventsValuesWithForbiddenCharactersReplaced) {
    const core::Event e = decode(kEvent);
    EXPECT_EQ(render("genesys.{eventType}.{queueId}", e), "genesys.acd_end.q_1_a_b_c");
    EXPECT_EQ(render("g.{conversationId}", e), "g.conv-7");
    EXPECT_EQ(render("g.q-{queueId}-{eventType}", e), "g.q-q_1_a_b_c-acd_end");
    EXPECT_EQ(render("fixed.subject", e), "fixed.subject");
}

TEST(NatsSubject, AMissingOrEmptyValueIsAnUnderscore) {
    const core::Event none = decode(
        R"({"id":"x","timestamp":"2026-11-30T10:00:00Z","eventType":"acw","data":{}})");
    EXPECT_EQ(render("genesys.{eventType}.{queueId}.{conversationId}", none), "genesys.acw._._");
    const core::Event empty = decode(
        R"({"id":"x","timestamp":"2026-11-30T10:00:00Z","eventType":"acw",)"
        R"("data":{"queueId":"","conversationId":"\t"}})");
    EXPECT_EQ(render("genesys.{queueId}.{conversationId}", empty), "genesys._._");
    EXPECT_EQ(subject_token(""), "_");
    EXPECT_EQ(subject_token(std::string_view("a\0b\r\n", 5)), "a_b__");
}

TEST(NatsSubject, BadTemplatesSayWhy) {
    EXPECT_EQ(parse_error("genesys.{eventKind}"),
              "unknown placeholder {eventKind} (known: {eventType}, {queueId}, {conversationId})");
    EXPECT_EQ(parse_error("genesys.{queueId"), "'{' without '}'");
    EXPECT_EQ(parse_error("genesys.queueId}"), "'}' without '{'");
    EXPECT_EQ(parse_error("genesys.>"), "wildcards ('*', '>') cannot be published to");
    EXPECT_EQ(parse_error("genesys.*.x"), "wildcards ('*', '>') cannot be published to");
    EXPECT_EQ(parse_error("genesys x"), "whitespace is not allowed in a subject");
    EXPECT_EQ(parse_error("genesys..{queueId}"),
              "empty token (a subject is tokens separated by single dots)");
    EXPECT_EQ(parse_error(".genesys"), "empty token (a subject is tokens separated by single dots)");
    EXPECT_EQ(parse_error("genesys."), "empty token (a subject is tokens separated by single dots)");
}

TEST(NatsSubject, WildcardAndCoverage) {
    EXPECT_EQ(parse("genesys.{eventType}.{queueId}").wildcard(), "genesys.*.*");
    EXPECT_EQ(parse("g.q-{queueId}.x").wildcard(), "g.*.x");
    EXPECT_EQ(parse("a.b").wildcard(), "a.b");
    EXPECT_TRUE(subject_covers("genesys.>", "genesys.*.*"));
    EXPECT_TRUE(subject_covers("genesys.*.*", "genesys.*.*"));
    EXPECT_TRUE(subject_covers(">", "a"));
    EXPECT_TRUE(subject_covers("a.b", "a.b"));
    EXPECT_FALSE(subject_covers("genesys.acd_end.*", "genesys.*.*"));  // a literal covers itself only
    EXPECT_FALSE(subject_covers("genesys.*", "genesys.*.*"));
    EXPECT_FALSE(subject_covers("genesys.>", "genesys"));
    EXPECT_FALSE(subject_covers("other.>", "genesys.*"));
}

TEST(NatsFormatter, NativeMessageHasTheMsgIdHeaderAndTheFileSinksLine) {
    NatsFormatter f(parse("genesys.{eventType}.{queueId}"), {});
    NatsMessage m;
    std::string error;
    ASSERT_TRUE(f.format(decode(kEvent), m, error)) << error;
    EXPECT_EQ(m.subject, "genesys.acd_end.q_1_a_b_c");
    EXPECT_EQ(m.headers, (std::vector<std::pair<std::string, std::string>>{{"Nats-Msg-Id", "ev-1"}}));
    EXPECT_EQ(m.body,
              R"({"id":"ev-1","eventType":"acd.end","eventTime":"2026-11-30T10:00:00.000Z",)"
              R"("queueId":"q 1.a*b>c","conversationId":"conv-7","data":{"queueId":"q 1.a*b>c",)"
              R"("conversationId":"conv-7"}})");
    // "NATS/1.0\r\n" + "Nats-Msg-Id: ev-1\r\n" + "\r\n"
    EXPECT_EQ(encoded_headers_size(m.headers), 10U + 19U + 2U);
    EXPECT_EQ(encoded_headers_size({}), 0U);
}

// CloudEvents binary mode: the data as body, the attributes as ce- headers after Nats-Msg-Id.
TEST(NatsFormatter, CloudEventsBinaryModePutsTheAttributesInCeHeaders) {
    format::EncoderOptions options;
    options.format = format::Format::kCloudEventsBinary;
    NatsFormatter f(parse("genesys.{eventType}"), options);
    NatsMessage m;
    std::string error;
    ASSERT_TRUE(f.format(decode(kEvent), m, error)) << error;
    EXPECT_EQ(m.subject, "genesys.acd_end");
    EXPECT_EQ(m.body, R"({"queueId":"q 1.a*b>c","conversationId":"conv-7"})");
    ASSERT_GE(m.headers.size(), 2U);
    EXPECT_EQ(m.headers[0], (std::pair<std::string, std::string>{"Nats-Msg-Id", "ev-1"}));
    std::map<std::string, std::string> h(m.headers.begin(), m.headers.end());
    EXPECT_EQ(h["ce-specversion"], "1.0");
    EXPECT_EQ(h["ce-id"], "ev-1");
    EXPECT_EQ(h["ce-type"], "com.genesys.cloud.acd.end");
    EXPECT_EQ(h["ce-time"], "2026-11-30T10:00:00.000Z");
    EXPECT_EQ(h["ce-subject"], "conv-7");
    EXPECT_EQ(h["ce-partitionkey"], "conv-7");
    EXPECT_EQ(h["ce-source"], "genesys-cloud://mypurecloud.com/interaction.lifecycle");
}

TEST(NatsFormatter, AnIdThatCannotBeAHeaderIsRefused) {
    NatsFormatter f(parse("g"), {});
    NatsMessage m;
    std::string error;
    EXPECT_FALSE(f.format(
        decode(R"({"id":"a\nb","timestamp":"2026-11-30T10:00:00Z","eventType":"acw","data":{}})"),
        m, error));
    EXPECT_EQ(error,
              "invalid_event_id: the event id is empty or holds CR, LF or NUL, so it cannot be a "
              "Nats-Msg-Id header");
}

}  // namespace
}  // namespace gstream::sink::nats
