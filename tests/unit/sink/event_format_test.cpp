#include "sink/format/event_format.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/decoder.hpp"

namespace gstream::sink::format {
namespace {

// Decodes one message and keeps it alive with its events.
struct Decoded {
    pipeline::DecodeOutput out;
    const core::Event& event() const { return out.events.at(0); }
};

Decoded envelope_event() {
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload =
        R"({"subscriptionId":"s","events":[{"id":"e\u00e91","timestamp":"2026-11-30T11:15:02.1+01:00",)"
        R"("eventType":"acd.start","data":{"queueId":"q1", "conversationId":"c\"1",)"
        "\n  \"n\": 1.50}}]}";
    Decoded d;
    decoder.decode(std::move(m), d.out);
    EXPECT_EQ(d.out.events.size(), 1U);
    return d;
}

Decoded notification_event() {
    pipeline::NotificationDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload =
        R"({"topicName":"v2.detail.events.conversation.7a0c.acd.end","version":"2",)"
        R"("eventBody":{"eventTime":1775121295301,"conversationId":"7a0c","queueId":"q",)"
        R"("acdOutcome":"ANSWERED"},"metadata":{"CorrelationId":"c3b5"}})";
    Decoded d;
    decoder.decode(std::move(m), d.out);
    EXPECT_EQ(d.out.events.size(), 1U);
    return d;
}

TEST(EventFormat, ParsesTheThreeFormatNames) {
    EXPECT_EQ(parse_format("native"), Format::kNative);
    EXPECT_EQ(parse_format("cloudevents"), Format::kCloudEvents);
    EXPECT_EQ(parse_format("cloudevents-binary"), Format::kCloudEventsBinary);
    EXPECT_EQ(parse_format("avro"), std::nullopt);
}

TEST(EventFormat, NativeIsTheFileSinkLineWithoutItsNewline) {
    const Decoded d = envelope_event();
    Encoded e;
    EventEncoder({}).encode(d.event(), e);
    EXPECT_EQ(e.body,
              R"({"id":"e\u00e91","eventType":"acd.start","eventTime":"2026-11-30T10:15:02.100Z",)"
              R"("queueId":"q1","conversationId":"c\"1","data":{"queueId":"q1","conversationId":"c\"1",)"
              R"("n":1.50}})");
    EXPECT_EQ(e.content_type, "application/json");
    EXPECT_TRUE(e.attributes.empty());
}

TEST(EventFormat, StructuredCloudEventKeepsTheOriginalBytesInData) {
    const Decoded d = envelope_event();
    Encoded e;
    EventEncoder({Format::kCloudEvents, "", "mypurecloud.de"}).encode(d.event(), e);
    EXPECT_EQ(e.body,
              R"({"specversion":"1.0","id":"e\u00e91",)"
              R"("source":"genesys-cloud://mypurecloud.de/interaction.lifecycle",)"
              R"("type":"com.genesys.cloud.acd.start","time":"2026-11-30T10:15:02.100Z",)"
              R"("subject":"c\"1","datacontenttype":"application/json","partitionkey":"c\"1",)"
              R"("data":{"queueId":"q1","conversationId":"c\"1","n":1.50}})");
    EXPECT_EQ(e.content_type, "application/cloudevents+json");
}

TEST(EventFormat, ANotificationCarriesItsCorrelationIdAndTheDetailFeedAsSource) {
    const Decoded d = notification_event();
    Encoded e;
    EventEncoder({Format::kCloudEvents, "", "mypurecloud.com"}).encode(d.event(), e);
    EXPECT_EQ(e.body,
              R"({"specversion":"1.0","id":"c3b5",)"
              R"("source":"genesys-cloud://mypurecloud.com/v2.detail.events.conversation",)"
              R"("type":"com.genesys.cloud.acd.end","time":"2026-04-02T09:14:55.301Z",)"
              R"("subject":"7a0c","datacontenttype":"application/json","correlationid":"c3b5",)"
              R"("partitionkey":"7a0c","data":{"eventTime":1775121295301,"conversationId":"7a0c",)"
              R"("queueId":"q","acdOutcome":"ANSWERED"}})");
}

TEST(EventFormat, BinaryModePutsTheAttributesBesideTheDataBytes) {
    Decoded d = envelope_event();
    d.out.events.at(0).late = true;
    Encoded e;
    EventEncoder({Format::kCloudEventsBinary, "urn:contact-center:eu", "mypurecloud.com"})
        .encode(d.event(), e);
    EXPECT_EQ(e.body, R"({"queueId":"q1","conversationId":"c\"1","n":1.50})");
    EXPECT_EQ(e.content_type, "application/json");
    const std::vector<std::pair<std::string, std::string>> expected{
        {"specversion", "1.0"},
        {"id", "e\u00e91"},
        {"source", "urn:contact-center:eu"},
        {"type", "com.genesys.cloud.acd.start"},
        {"time", "2026-11-30T10:15:02.100Z"},
        {"subject", "c\"1"},
        {"partitionkey", "c\"1"},
        {"late", "true"},
    };
    EXPECT_EQ(e.attributes, expected);
}

TEST(EventFormat, ThePartitionKeyIsTheConversationElseTheEventId) {
    const Decoded d = envelope_event();
    EXPECT_EQ(partition_key(d.event()), "c\"1");
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload =
        R"({"subscriptionId":"s","events":[{"id":"only-id","timestamp":"2026-11-30T10:00:00Z","eventType":"acw","data":{}}]})";
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    ASSERT_EQ(out.events.size(), 1U);
    EXPECT_EQ(partition_key(out.events[0]), "only-id");
    EXPECT_EQ(event_id(out.events[0]), "only-id");
}

}  // namespace
}  // namespace gstream::sink::format
