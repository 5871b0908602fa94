#include "pipeline/decoder.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sink/file/file_formatter.hpp"
#include "support/test_paths.hpp"

namespace gstream::pipeline {
namespace {

DecodeOutput decode(std::string text) {
    EnvelopeDecoder decoder;
    auto message = std::make_shared<core::Message>();
    message->payload = std::move(text);
    DecodeOutput out;
    decoder.decode(std::move(message), out);
    return out;
}

std::string ev(const std::string& id, const std::string& ts = "2026-11-30T10:15:02.125Z",
               const std::string& data = R"({"conversationId":"c","eventTime":1})") {
    return R"({"id":")" + id + R"(","timestamp":")" + ts + R"(","eventType":"acd.start","data":)" +
           data + "}";
}

std::string envelope(const std::string& events) {
    return R"({"stream":"interaction.lifecycle","subscriptionId":"s1","events":[)" + events + "]}";
}

TEST(EnvelopeDecoder, AppliesTheMessageTable) {
    EXPECT_EQ(decode("{nope").rejections.at(0).reason, core::Errc::kNotJson);
    EXPECT_EQ(decode("[1]").rejections.at(0).reason, core::Errc::kNotJson);
    EXPECT_EQ(decode(R"({"events":[{}]})").rejections.at(0).reason, core::Errc::kBadEnvelope);
    EXPECT_TRUE(decode(R"({"events":[]})").control);
    EXPECT_TRUE(decode(R"({"stream":"interaction.lifecycle"})").control);
    EXPECT_EQ(decode(R"({"subscriptionId":"s"})").rejections.at(0).reason, core::Errc::kBadEnvelope);
    EXPECT_EQ(decode(R"({"subscriptionId":"s","events":{}})").rejections.at(0).reason,
              core::Errc::kBadEnvelope);
    const auto whole = decode("{nope");
    EXPECT_EQ(whole.rejections.at(0).raw, "{nope");
}

TEST(EnvelopeDecoder, RejectsBadEventsAloneAndKeepsSiblings) {
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    const auto out = decode(envelope(
        ev("a") + "," + ev("b", "2026-02-30T00:00:00Z") + "," + ev("c", "2026-11-30T10:15:02") + "," +
        R"({"id":"d","id":"d2","timestamp":"2026-11-30T10:15:02Z","eventType":"x","data":{}})" + "," +
        ev("e", "2026-11-30T10:15:02Z", R"({"conversationId":"c","eventTime":99999999999999999999})") +
        "," + ev("f", "2026-11-30T10:15:02Z", R"({"x":)" + deep + "}") + "," +
        ev("g", "2026-11-30T10:15:02Z", R"({"conversationId":"c\u0000x","eventTime":2})")));
    ASSERT_EQ(out.events.size(), 2U);
    EXPECT_EQ(out.events[0].id.get_string(), "a");
    EXPECT_EQ(out.events[1].id.get_string(), "g");
    EXPECT_EQ(out.events[1].conversation_id.raw(), R"("c\u0000x")");
    ASSERT_EQ(out.rejections.size(), 5U);
    EXPECT_EQ(out.rejections[0].reason, core::Errc::kBadTimestamp);
    EXPECT_EQ(out.rejections[1].reason, core::Errc::kBadTimestamp);
    EXPECT_EQ(out.rejections[2].reason, core::Errc::kDuplicateKey);
    EXPECT_EQ(out.rejections[3].reason, core::Errc::kNumberOutOfRange);
    EXPECT_EQ(out.rejections[4].reason, core::Errc::kTooDeep);
    EXPECT_EQ(out.rejections[0].raw, ev("b", "2026-02-30T00:00:00Z"));
    EXPECT_EQ(out.rejections[0].subscription_id, "s1");
}

TEST(EnvelopeDecoder, DerivesInteractionStates) {
    core::JsonDocument doc;
    ASSERT_TRUE(doc.parse(R"([{"acdOutcome":"ANSWERED"},{"acdOutcome":"ABANDON"}])"));
    const auto answered = doc.root().at_pointer("/0");
    const auto abandoned = doc.root().at_pointer("/1");
    using S = core::InteractionState;
    EXPECT_EQ(derive_state("acd.start", answered), S::kQueued);
    EXPECT_EQ(derive_state("user.start", answered), S::kAlerting);
    EXPECT_EQ(derive_state("acd.end", answered), S::kContact);
    EXPECT_EQ(derive_state("acd.end", abandoned), S::kNone);
    EXPECT_EQ(derive_state("acw", answered), S::kAcw);
    EXPECT_EQ(derive_state("wrapup", answered), S::kAcw);
    EXPECT_EQ(derive_state("customer.end", answered), S::kEnded);
    EXPECT_EQ(derive_state("customer.start", answered), S::kNone);
}

}  // namespace
}  // namespace gstream::pipeline

namespace gstream::pipeline {
namespace {

DecodeOutput decode_notification(std::string text) {
    NotificationDecoder decoder;
    auto message = std::make_shared<core::Message>();
    message->payload = std::move(text);
    DecodeOutput out;
    decoder.decode(std::move(message), out);
    return out;
}

TEST(NotificationDecoder, DecodesADetailEvent) {
    const auto out = decode_notification(
        R"({"topicName":"v2.detail.events.conversation.7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e.acd.end",)"
        R"("version":"2","eventBody":{"eventTime":1775121295301,"conversationId":"7a0c","queueId":"q",)"
        R"("acdOutcome":"ANSWERED"},"metadata":{"CorrelationId":"c3b5"}})");
    ASSERT_EQ(out.events.size(), 1U);
    const core::Event& e = out.events[0];
    EXPECT_EQ(e.format, core::EventFormat::kNotification);
    EXPECT_EQ(e.kind, "acd.end");
    EXPECT_EQ(e.correlation_id.get_string(), "c3b5");
    EXPECT_EQ(e.id.get_string().size(), 36U);  // the derived key (DetailEventKey)
    EXPECT_EQ(e.id.raw(), "\"" + std::string(e.id.get_string()) + "\"");
    EXPECT_EQ(e.instant.ns, 1775121295301LL * 1'000'000);
    EXPECT_EQ(e.queue_id.get_string(), "q");
    EXPECT_EQ(e.state, core::InteractionState::kContact);
    EXPECT_FALSE(out.control);
}

TEST(NotificationDecoder, ControlAndBadMessages) {
    EXPECT_TRUE(decode_notification(
                    R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})")
                    .control);
    EXPECT_TRUE(decode_notification(R"({"topicName":"v2.system.socket_closing","eventBody":{}})").control);
    EXPECT_EQ(decode_notification("{\"topicName\":").rejections.at(0).reason, core::Errc::kNotJson);
    EXPECT_EQ(decode_notification(R"({"topicName":"v2.users.x.presence"})").rejections.at(0).reason,
              core::Errc::kBadEnvelope);
    EXPECT_EQ(decode_notification(
                  R"({"topicName":"v2.detail.events.conversation.c.acw","eventBody":{"eventTime":99999999999999999999}})")
                  .rejections.at(0)
                  .reason,
              core::Errc::kNumberOutOfRange);
}

TEST(NotificationDecoder, DecodesAConversationSnapshot) {
    const auto out = decode_notification(
        R"({"topicName":"v2.routing.queues.q1.conversations.calls","version":"2",)"
        R"("eventBody":{"id":"c1","participants":[]},"metadata":{"CorrelationId":"m1"}})");
    ASSERT_EQ(out.events.size(), 1U);
    const core::Event& e = out.events[0];
    EXPECT_EQ(e.format, core::EventFormat::kSnapshot);
    EXPECT_EQ(e.kind, "conversation.snapshot");
    EXPECT_EQ(e.id.get_string(), "m1");
    EXPECT_EQ(e.data.raw(), R"({"id":"c1","participants":[]})");
    EXPECT_EQ(e.conversation_id.get_string(), "c1");
    EXPECT_FALSE(e.queue_id.valid());
    EXPECT_TRUE(e.time_received);
    EXPECT_EQ(e.state, core::InteractionState::kNone);
    // A user topic too; a topic that only looks alike is still unsupported.
    EXPECT_EQ(decode_notification(R"({"topicName":"v2.users.u.conversations","eventBody":{}})")
                  .events.at(0)
                  .format,
              core::EventFormat::kSnapshot);
    EXPECT_EQ(decode_notification(R"({"topicName":"v2.users.u.conversations.calls.x"})")
                  .rejections.at(0)
                  .reason,
              core::Errc::kBadEnvelope);
    EXPECT_EQ(decode_notification(R"({"topicName":"v2.users.u.conversations","eventBody":{"a":1,"a":2}})")
                  .rejections.at(0)
                  .reason,
              core::Errc::kDuplicateKey);
}

}  // namespace
}  // namespace gstream::pipeline

namespace gstream::pipeline {
namespace {

// Issue 16, defect 3. A detail event's id is what identifies the event (DetailEventKey), not its
// metadata.CorrelationId: Genesys delivers the same event again with a new one, and published
// samples of different events share one.

std::string detail_message(const std::string& kind, const std::string& body,
                           const std::string& correlation_id) {
    return R"({"topicName":"v2.detail.events.conversation.c1.)" + kind +
           R"(","version":"2","eventBody":)" + body + R"(,"metadata":{"CorrelationId":")" +
           correlation_id + R"("}})";
}

std::string id_of(const std::string& message) {
    const DecodeOutput out = decode_notification(message);
    EXPECT_EQ(out.events.size(), 1U) << message;
    return out.events.empty() ? std::string() : std::string(out.events[0].id.get_string());
}

constexpr const char* kBody =
    R"({"eventTime":1775121295301,"conversationId":"c1","participantId":"p1","sessionId":"s1",)"
    R"("queueId":"q1","mediaType":"VOICE"})";

TEST(NotificationDecoder, DetailEventIdIgnoresTheCorrelationIdAndTheSpelling) {
    const std::string id = id_of(detail_message("acd.start", kBody, "corr-1"));
    // SHA-256 of the canonical [kind, conversationId, participantId, sessionId, eventTime, body]
    // as a version-8 UUID; the value is pinned (computed apart, with Python's json.dumps(...,
    // separators=(",", ":"), sort_keys=True, ensure_ascii=False) and hashlib): ids already
    // written must not change with a new release.
    EXPECT_EQ(id, "6f4713bc-e75f-8234-a069-7128ca9f2b3d");
    const DecodeOutput again = decode_notification(detail_message("acd.start", kBody, "corr-2"));
    ASSERT_EQ(again.events.size(), 1U);
    EXPECT_EQ(again.events[0].id.get_string(), id);
    EXPECT_EQ(again.events[0].correlation_id.get_string(), "corr-2");
    // Member order, whitespace, escapes and number spelling do not matter.
    EXPECT_EQ(id_of(detail_message(
                  "acd.start",
                  " {\n \"mediaType\" : \"VOIC\\u0045\", \"queueId\":\"q1\", \"sessionId\":\"s1\",\n"
                  " \"participantId\":\"p\\u0031\", \"conversationId\":\"c1\","
                  " \"eventTime\":1775121295301 } ",
                  "corr-3")),
              id);
}

TEST(NotificationDecoder, DetailEventIdTellsDifferentEventsApart) {
    const std::string id = id_of(detail_message("acd.start", kBody, "same"));
    const std::string body = kBody;
    const auto with = [&](const std::string& from, const std::string& to) {
        std::string b = body;
        b.replace(b.find(from), from.size(), to);
        return b;
    };
    std::vector<std::string> ids = {
        id,
        id_of(detail_message("acd.end", kBody, "same")),
        id_of(detail_message("acd.start", with("\"c1\"", "\"c2\""), "same")),
        id_of(detail_message("acd.start", with("\"p1\"", "\"p2\""), "same")),
        id_of(detail_message("acd.start", with("\"s1\"", "\"s2\""), "same")),
        id_of(detail_message("acd.start", with("1775121295301", "1775121295302"), "same")),
        // Everything above ties; another member of the body differs.
        id_of(detail_message("acd.start", with("\"VOICE\"", "\"CHAT\""), "same")),
        id_of(detail_message("acd.start", with(",\"mediaType\":\"VOICE\"", ""), "same")),
    };
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

const std::filesystem::path kSamples =
    std::filesystem::path(GSTREAM_SHARED_DIR) / "fixtures" / "genesys-real";

std::string read_sample(const std::string& name) {
    std::ifstream in(kSamples / name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The same real event (shared/fixtures/genesys-real/eventbridge-acd-end-01.json) as EventBridge
// hands it over (`detail`: pretty-printed, with a `timestamp`) and as the WebSocket would (one
// line, another CorrelationId) has one id.
TEST(NotificationDecoder, RealEventHasOneIdByEventBridgeAndByWebSocket) {
    if (!std::filesystem::is_directory(kSamples)) {
        GTEST_SKIP() << "real Genesys samples not found at " << kSamples.string();
    }
    core::JsonDocument doc;
    ASSERT_TRUE(doc.parse(read_sample("eventbridge-acd-end-01.json")));
    const core::JsonValue detail = doc.root().find("detail");
    ASSERT_TRUE(detail.is_object());
    std::string body;
    sink::file::append_minified(detail.find("eventBody").raw(), body);
    const std::string websocket = R"({"topicName":)" + std::string(detail.find("topicName").raw()) +
                                  R"(,"version":"2","eventBody":)" + body +
                                  R"(,"metadata":{"CorrelationId":"redelivered"}})";
    const std::string id = id_of(std::string(detail.raw()));
    EXPECT_EQ(id, "8340bed1-31cd-895c-8b3e-c114baa4ee34");  // computed apart, as above
    EXPECT_EQ(id_of(websocket), id);
}

}  // namespace
}  // namespace gstream::pipeline
