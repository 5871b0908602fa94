// The notifications conversation script: determinism, shapes, and the transitions it implies,
// checked against the real pipeline::SnapshotDeriver (docs/lifecycle.md).

#include "emulator/conversation_generator.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "pipeline/snapshot/snapshot_deriver.hpp"

namespace gstream::emulator {
namespace {

namespace json = boost::json;

const std::vector<std::string> kQueues = {"2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c",
                                          "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"};

std::vector<NotificationMessage> play(ConversationGenerator& g) {
    std::vector<NotificationMessage> out;
    while (auto m = g.next()) {
        out.push_back(std::move(*m));
    }
    return out;
}

TEST(ConversationGeneratorTest, SameSeedSameMessages) {
    ConversationGenerator a({7, 30, kQueues, 4});
    ConversationGenerator b({7, 30, kQueues, 4});
    ConversationGenerator c({8, 30, kQueues, 4});
    const auto ma = play(a), mb = play(b), mc = play(c);
    ASSERT_EQ(ma.size(), mb.size());
    for (std::size_t i = 0; i < ma.size(); ++i) {
        EXPECT_EQ(render_notification(ma[i]), render_notification(mb[i]));
    }
    EXPECT_NE(render_notification(ma[0]), render_notification(mc[0]));
}

TEST(ConversationGeneratorTest, NoQueuesNoMessages) {
    ConversationGenerator g({7, 30, {}, 4});
    EXPECT_FALSE(g.next().has_value());
    EXPECT_EQ(g.transitions().total(), 0U);
}

TEST(ConversationGeneratorTest, MessagesHaveTheRealEnvelopeShape) {
    ConversationGenerator g({3, 20, kQueues, 3});
    const auto messages = play(g);
    const auto ids = conversation_ids(3, 20);
    std::set<std::string> correlation_ids;
    std::size_t snapshots = 0;
    for (const auto& m : messages) {
        const json::value v = json::parse(render_notification(m));
        const json::object& o = v.as_object();
        ASSERT_EQ(o.size(), 4U);
        EXPECT_EQ(o.at("topicName").as_string(), m.topic_name);
        EXPECT_EQ(o.at("version").as_string(), "2");
        const std::string cid(o.at("metadata").as_object().at("CorrelationId").as_string());
        EXPECT_EQ(cid.size(), 36U);
        correlation_ids.insert(cid);
        const json::object& body = o.at("eventBody").as_object();
        if (m.kind == NotificationMessage::Kind::kSnapshot) {
            ++snapshots;
            EXPECT_EQ(topic_kind(m.topic_name), "v2.routing.queues.{id}.conversations");
            const std::string conv(body.at("id").as_string());
            EXPECT_NE(std::find(ids.begin(), ids.end(), conv), ids.end());
            const auto& parts = body.at("participants").as_array();
            EXPECT_EQ(parts.at(0).at("purpose").as_string(), "customer");
            EXPECT_EQ(parts.at(1).at("purpose").as_string(), "acd");
            // conversation i goes to queue i % 2
            const auto index =
                static_cast<std::size_t>(std::find(ids.begin(), ids.end(), conv) - ids.begin());
            EXPECT_EQ(m.topic_name, "v2.routing.queues." + kQueues[index % 2] + ".conversations");
        } else {
            EXPECT_TRUE(m.topic_name.starts_with("v2.detail.events.conversation."));
            EXPECT_TRUE(body.at("eventTime").is_int64());
            EXPECT_EQ(m.topic_name.substr(30, 36),
                      std::string(body.at("conversationId").as_string()));
        }
    }
    EXPECT_EQ(correlation_ids.size(), messages.size());
    EXPECT_GT(snapshots, 20U * 4);
}

// Each (conversation, participant, state) key the script announces is exactly what the
// consumer's SnapshotDeriver derives from the snapshots, in order of arrival.
TEST(ConversationGeneratorTest, ScriptTransitionsMatchTheSnapshotDeriver) {
    for (std::uint64_t seed : {1U, 2U, 42U}) {
        ConversationGenerator g({seed, 300, kQueues, 5});
        const auto messages = play(g);
        pipeline::SnapshotDeriver deriver;
        std::vector<pipeline::Transition> out;
        std::int64_t now = 0;
        for (const auto& m : messages) {
            if (m.kind != NotificationMessage::Kind::kSnapshot) {
                continue;
            }
            core::JsonDocument doc;
            ASSERT_TRUE(doc.parse(m.event_body));
            deriver.derive(m.topic_name, doc.root(), 1'800'000'000'000, ++now, out);
        }
        EXPECT_EQ(deriver.stale_snapshots(), 0U);
        EXPECT_EQ(deriver.malformed_snapshots(), 0U);
        std::map<std::string, std::set<std::string>> derived;
        for (const auto& t : out) {
            derived[t.state].insert(t.id);
            EXPECT_FALSE(t.time_received && t.state != "alerting") << t.id;
        }
        const ExpectedTransitions& expected = g.transitions();
        for (std::size_t i = 0; i < kLifecycleStates.size(); ++i) {
            const std::set<std::string> keys(expected.keys[i].begin(), expected.keys[i].end());
            EXPECT_EQ(keys.size(), expected.keys[i].size());
            EXPECT_EQ(derived[std::string(kLifecycleStates[i])], keys)
                << "seed " << seed << " state " << kLifecycleStates[i];
        }
        // Every conversation ends once; the variants all occur in 300 conversations.
        EXPECT_EQ(expected.keys[4].size(), 300U);
        EXPECT_EQ(expected.keys[0].size(), 300U);
        EXPECT_GT(expected.keys[1].size(), expected.keys[2].size());  // rejects
        EXPECT_LT(expected.keys[2].size(), 300U);                     // abandons
        EXPECT_LT(expected.keys[3].size(), expected.keys[2].size());  // terminated / skipped acw
        EXPECT_EQ(out.size(), expected.total());
    }
}

TEST(ConversationGeneratorTest, TopicKindReplacesIds) {
    EXPECT_EQ(
        topic_kind("v2.detail.events.conversation.7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e.acd.end"),
        "v2.detail.events.conversation.{id}.acd.end");
    EXPECT_EQ(topic_kind("channel.metadata"), "channel.metadata");
}

}  // namespace
}  // namespace gstream::emulator
