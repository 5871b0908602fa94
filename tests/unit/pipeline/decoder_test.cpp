#include "pipeline/decoder.hpp"

#include <gtest/gtest.h>

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
    EXPECT_EQ(e.id.get_string(), "c3b5");
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
