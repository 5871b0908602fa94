#include "pipeline/snapshot/snapshot_deriver.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/json_document.hpp"

namespace gstream::pipeline {
namespace {

constexpr std::string_view kTopic =
    "v2.routing.queues.2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c.conversations.calls";
constexpr std::string_view kQueue = "2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c";
constexpr std::string_view kConv = "7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e";
// 2026-04-01T09:20:00.000Z as epoch ms: the receive time used by the tests.
constexpr std::int64_t kReceivedMs = 1775035200000;
constexpr std::string_view kReceived = "2026-04-01T09:20:00.000Z";

// Participants of the scripted call, in the shape of QueueConversationEventTopicParticipant.
// Times are on 2026-04-01, given as "hh:mm:ss.mmm".
std::string at(std::string_view hms) {
    return fmt::format("\"2026-04-01T{}Z\"", hms);
}

std::string customer(std::string_view call_state, std::string_view extra = "") {
    return fmt::format(
        R"({{"id":"p-cust","purpose":"customer","connectedTime":{},"queueId":"{}",)"
        R"("address":"tel:+15551230000","calls":[{{"id":"c-1","state":"{}","direction":"inbound",)"
        R"("connectedTime":{}{}}}]}})",
        at("09:14:02.118"), kQueue, call_state, at("09:14:02.118"), extra);
}

std::string acd_connected(std::string_view id = "p-acd", std::string_view time = "09:14:09.500") {
    return fmt::format(R"({{"id":"{}","purpose":"acd","queueId":"{}","connectedTime":{},)"
                       R"("calls":[{{"id":"c-{}","state":"connected","connectedTime":{}}}]}})",
                       id, kQueue, at(time), id, at(time));
}

std::string acd_transferred(std::string_view id = "p-acd",
                            std::string_view time = "09:14:09.500",
                            std::string_view end = "09:14:31.020") {
    return fmt::format(
        R"({{"id":"{}","purpose":"acd","queueId":"{}","connectedTime":{},"endTime":{},)"
        R"("calls":[{{"id":"c-{}","state":"disconnected","disconnectType":"transfer",)"
        R"("connectedTime":{},"disconnectedTime":{}}}]}})",
        id, kQueue, at(time), at(end), id, at(time), at(end));
}

std::string agent(std::string_view id,
                  std::string_view call_fields,
                  std::string_view participant_fields = "") {
    return fmt::format(
        R"({{"id":"{}","purpose":"agent","userId":"9b7d0000-0000-4000-8000-000000000001",)"
        R"("queueId":"{}","wrapupRequired":true,{}"calls":[{{"id":"c-{}",{}}}]}})",
        id, kQueue, participant_fields, id, call_fields);
}

std::string snapshot(const std::vector<std::string>& participants,
                     std::string_view conversation = kConv) {
    std::string out = R"({"id":")" + std::string(conversation) + R"(","participants":[)";
    for (std::size_t i = 0; i < participants.size(); ++i) {
        out += (i == 0 ? "" : ",") + participants[i];
    }
    return out + R"(],"recordingState":"none"})";
}

// The scripted call, one snapshot per step.
const std::string kAgentAlerting =
    R"("state":"alerting","initialState":"alerting","direction":"inbound")";
const std::string kAgentConnected =
    R"("state":"connected","initialState":"alerting","connectedTime":"2026-04-01T09:14:31.000Z")";
const std::string kAgentAcw =
    R"("state":"disconnected","initialState":"alerting",)"
    R"("connectedTime":"2026-04-01T09:14:31.000Z",)"
    R"("disconnectedTime":"2026-04-01T09:18:45.250Z","disconnectType":"client",)"
    R"("afterCallWork":{"state":"pending",)"
    R"("startTime":"2026-04-01T09:18:45.250Z"},"afterCallWorkRequired":true)";
const std::string kCustomerEnded =
    R"(,"disconnectedTime":"2026-04-01T09:18:46.002Z","disconnectType":"endpoint")";

std::vector<std::string> scripted_call() {
    return {
        snapshot({customer("connected")}),
        snapshot({customer("connected"), acd_connected()}),
        snapshot({customer("connected"), acd_connected(), agent("p-agent", kAgentAlerting)}),
        snapshot({customer("connected"), acd_transferred(), agent("p-agent", kAgentConnected)}),
        snapshot({customer("connected"), acd_transferred(), agent("p-agent", kAgentAcw)}),
        snapshot({customer("disconnected", kCustomerEnded), acd_transferred(),
                  agent("p-agent", kAgentAcw)}),
    };
}

struct Harness {
    SnapshotDeriver deriver;
    std::int64_t now_ms = 1000;

    explicit Harness(SnapshotDeriverOptions options = {})
        : deriver(options) {}

    std::vector<Transition> feed(const std::string& text,
                                 std::string_view topic = kTopic,
                                 std::int64_t received_ms = kReceivedMs) {
        core::JsonDocument doc;
        EXPECT_TRUE(doc.parse(text)) << doc.error().message << " in " << text;
        std::vector<Transition> out;
        deriver.derive(topic, doc.root(), received_ms, now_ms, out);
        now_ms += 10;
        return out;
    }
};

// "state participantId eventTime[ R]" per transition, R when the time is the receive time.
std::vector<std::string> brief(const std::vector<Transition>& v) {
    std::vector<std::string> out;
    for (const Transition& t : v) {
        out.push_back(t.state + " " + t.participant_id + " " + t.event_time +
                      (t.time_received ? " R" : ""));
    }
    return out;
}

using Strings = std::vector<std::string>;

TEST(SnapshotDeriver, ScriptedCallYieldsEachStateOnceWithItsProvingTimestamp) {
    Harness h;
    const auto steps = scripted_call();
    EXPECT_EQ(brief(h.feed(steps[0])), Strings{});
    EXPECT_EQ(brief(h.feed(steps[1])), Strings{"queued p-acd 2026-04-01T09:14:09.500Z"});
    EXPECT_EQ(brief(h.feed(steps[2])),
              Strings{"alerting p-agent " + std::string(kReceived) + " R"});
    EXPECT_EQ(brief(h.feed(steps[3])), Strings{"contact p-agent 2026-04-01T09:14:31.000Z"});
    EXPECT_EQ(brief(h.feed(steps[4])), Strings{"acw p-agent 2026-04-01T09:18:45.250Z"});
    const auto ended = h.feed(steps[5]);
    EXPECT_EQ(brief(ended), Strings{"ended p-cust 2026-04-01T09:18:46.002Z"});
    ASSERT_EQ(ended.size(), 1U);
    EXPECT_EQ(ended[0].id, std::string(kConv) + ":p-cust:ended");
    EXPECT_EQ(ended[0].conversation_id, kConv);
    EXPECT_EQ(ended[0].queue_id, kQueue);
    EXPECT_EQ(ended[0].topic_name, kTopic);
    EXPECT_EQ(ended[0].data_json,
              R"({"purpose":"customer","endedBy":"customer","media":{"type":"call","id":"c-1",)"
              R"("state":"disconnected","disconnectedTime":"2026-04-01T09:18:46.002Z",)"
              R"("disconnectType":"endpoint"}})");
    EXPECT_EQ(h.deriver.snapshots(), 6U);
    EXPECT_EQ(h.deriver.conversations(), 1U);
}

TEST(SnapshotDeriver, TransitionFieldsAndEventJson) {
    Harness h;
    const auto steps = scripted_call();
    const auto queued = h.feed(steps[1]);
    ASSERT_EQ(queued.size(), 1U);
    const Transition& q = queued[0];
    EXPECT_EQ(q.id, std::string(kConv) + ":p-acd:queued");
    EXPECT_EQ(q.state, "queued");
    EXPECT_EQ(q.participant_id, "p-acd");
    EXPECT_FALSE(q.time_received);
    EXPECT_EQ(q.data_json,
              R"({"purpose":"acd","participant":{"connectedTime":"2026-04-01T09:14:09.500Z"},)"
              R"("media":{"type":"call","id":"c-p-acd","state":"connected",)"
              R"("connectedTime":"2026-04-01T09:14:09.500Z"}})");
    EXPECT_EQ(to_event_json(q),
              R"({"id":"7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e:p-acd:queued",)"
              R"("timestamp":"2026-04-01T09:14:09.500Z","eventType":"queued","data":{)"
              R"("purpose":"acd","participant":{"connectedTime":"2026-04-01T09:14:09.500Z"},)"
              R"("media":{"type":"call","id":"c-p-acd","state":"connected",)"
              R"("connectedTime":"2026-04-01T09:14:09.500Z"},)"
              R"("conversationId":"7a0c2d4e-1111-4b2c-9d8e-0f1a2b3c4d5e","participantId":"p-acd",)"
              R"("queueId":"2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c",)"
              R"("topicName":"v2.routing.queues.2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c.)"
              R"(conversations.calls"}})");

    const auto alerting = h.feed(steps[2]);
    ASSERT_EQ(alerting.size(), 1U);
    EXPECT_EQ(alerting[0].data_json,
              R"({"purpose":"agent","userId":"9b7d0000-0000-4000-8000-000000000001",)"
              R"("media":{"type":"call","id":"c-p-agent","state":"alerting",)"
              R"("initialState":"alerting"}})");
    const std::string json = to_event_json(alerting[0]);
    EXPECT_NE(json.find(R"("timestamp":"2026-04-01T09:20:00.000Z")"), std::string::npos) << json;
    EXPECT_NE(json.find(R"(,"timeSource":"received"}})"), std::string::npos) << json;
    core::JsonDocument doc;
    EXPECT_TRUE(doc.parse(json)) << json;
}

TEST(SnapshotDeriver, EventJsonEscapesStringsAndOmitsAnEmptyQueue) {
    Transition t;
    t.id = "a\"b:p:ended";
    t.state = "ended";
    t.conversation_id = "a\"b";
    t.participant_id = "p\\";
    t.topic_name = "v2.users.u.conversations";
    t.event_time = "2026-04-01T09:14:09.500Z";
    t.data_json = "{}";
    EXPECT_EQ(to_event_json(t),
              R"({"id":"a\"b:p:ended","timestamp":"2026-04-01T09:14:09.500Z","eventType":"ended",)"
              R"("data":{"conversationId":"a\"b","participantId":"p\\",)"
              R"("topicName":"v2.users.u.conversations"}})");
}

TEST(SnapshotDeriver, ConversationSnapshotTopics) {
    EXPECT_TRUE(is_conversation_snapshot_topic("v2.routing.queues.q1.conversations"));
    EXPECT_TRUE(is_conversation_snapshot_topic("v2.routing.queues.q1.conversations.calls"));
    EXPECT_TRUE(is_conversation_snapshot_topic("v2.users.u1.conversations"));
    EXPECT_TRUE(is_conversation_snapshot_topic("v2.users.u1.conversations.callbacks"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.users.u1.presence"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.users..conversations"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.users.u1.conversationsx"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.users.u1.conversations.calls.x"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.routing.queues.q1.users"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.detail.events.conversation.c1.acd.start"));
    EXPECT_FALSE(is_conversation_snapshot_topic("v2.conversations.c1.transcription"));
}

TEST(SnapshotDeriver, RepeatedSnapshotYieldsNothingTheSecondTime) {
    Harness h;
    const auto steps = scripted_call();
    EXPECT_EQ(h.feed(steps[2]).size(), 2U);  // queued + alerting
    EXPECT_TRUE(h.feed(steps[2]).empty());
    EXPECT_EQ(h.feed(steps[4]).size(), 2U);  // contact + acw
    EXPECT_TRUE(h.feed(steps[4]).empty());
    EXPECT_EQ(h.feed(steps[5]).size(), 1U);  // ended
    EXPECT_TRUE(h.feed(steps[5]).empty());
    EXPECT_EQ(h.deriver.snapshots(), 6U);
    EXPECT_EQ(h.deriver.stale_snapshots(), 0U);
}

TEST(SnapshotDeriver, StaleSnapshotAfterANewerOneYieldsNothing) {
    Harness h;
    const auto steps = scripted_call();
    EXPECT_EQ(brief(h.feed(steps[3])), (Strings{"queued p-acd 2026-04-01T09:14:09.500Z",
                                                "contact p-agent 2026-04-01T09:14:31.000Z"}));
    // The agent back at alerting, the acd leg connected again: older than what was seen.
    EXPECT_TRUE(h.feed(steps[2]).empty());
    EXPECT_TRUE(h.feed(steps[1]).empty());
    EXPECT_EQ(h.deriver.stale_snapshots(), 2U);
    EXPECT_EQ(brief(h.feed(steps[4])), Strings{"acw p-agent 2026-04-01T09:18:45.250Z"});
    EXPECT_TRUE(h.feed(steps[3]).empty());
    EXPECT_EQ(h.deriver.snapshots(), 5U);
}

TEST(SnapshotDeriver, LegStateNeverGoesBackEvenWithoutNewerTimestamps) {
    // Same timestamps, so not detected as stale by time: the per-leg order still holds.
    Harness h;
    const std::string connected_no_time = R"("state":"connected","initialState":"alerting")";
    EXPECT_EQ(brief(h.feed(snapshot({customer("connected"), agent("p-agent", connected_no_time)}))),
              Strings{"contact p-agent " + std::string(kReceived) + " R"});
    EXPECT_TRUE(
        h.feed(snapshot({customer("connected"), agent("p-agent", kAgentAlerting)})).empty());
}

TEST(SnapshotDeriver, ConnectedThenTerminatedWithoutDisconnectedIsEnded) {
    Harness h;
    h.feed(snapshot({customer("connected"), acd_connected()}));
    const auto out = h.feed(snapshot({customer("terminated"), acd_connected()}));
    // No disconnectedTime and no endTime on the customer: the receive time.
    EXPECT_EQ(brief(out), Strings{"ended p-cust " + std::string(kReceived) + " R"});
}

TEST(SnapshotDeriver, AgentRejectIsNotEndedAndTheNextAgentGetsItsOwnAlerting) {
    Harness h;
    const std::string rejected =
        R"("state":"disconnected","initialState":"alerting","disconnectType":"client",)"
        R"("disconnectedTime":"2026-04-01T09:14:20.000Z")";
    EXPECT_EQ(brief(h.feed(snapshot(
                  {customer("connected"), acd_connected(), agent("p-agent1", kAgentAlerting)}))),
              (Strings{"queued p-acd 2026-04-01T09:14:09.500Z",
                       "alerting p-agent1 " + std::string(kReceived) + " R"}));
    EXPECT_TRUE(
        h.feed(snapshot({customer("connected"), acd_connected(),
                         agent("p-agent1", rejected, R"("endTime":"2026-04-01T09:14:20.000Z",)")}))
            .empty());
    EXPECT_EQ(
        brief(h.feed(snapshot({customer("connected"), acd_connected(), agent("p-agent1", rejected),
                               agent("p-agent2", kAgentAlerting)}))),
        Strings{"alerting p-agent2 " + std::string(kReceived) + " R"});
    EXPECT_EQ(
        brief(h.feed(snapshot({customer("connected"), acd_transferred(),
                               agent("p-agent1", rejected), agent("p-agent2", kAgentConnected)}))),
        Strings{"contact p-agent2 2026-04-01T09:14:31.000Z"});
    EXPECT_EQ(h.deriver.conversations(), 1U);
}

TEST(SnapshotDeriver, RequeueIsNotEnded) {
    Harness h;
    const std::string transferred_away =
        R"("state":"disconnected","initialState":"alerting",)"
        R"("connectedTime":"2026-04-01T09:14:31.000Z",)"
        R"("disconnectedTime":"2026-04-01T09:15:40.000Z","disconnectType":"transfer")";
    h.feed(
        snapshot({customer("connected"), acd_transferred(), agent("p-agent1", kAgentConnected)}));
    // The agent transfers the call back to a queue: the leg ends with transfer, a new acd leg.
    EXPECT_EQ(brief(h.feed(snapshot({customer("connected"), acd_transferred(),
                                     agent("p-agent1", transferred_away),
                                     acd_connected("p-acd2", "09:15:40.010")}))),
              Strings{"queued p-acd2 2026-04-01T09:15:40.010Z"});
    EXPECT_EQ(brief(h.feed(snapshot(
                  {customer("connected"), acd_transferred(), agent("p-agent1", transferred_away),
                   acd_connected("p-acd2", "09:15:40.010"), agent("p-agent2", kAgentAlerting)}))),
              Strings{"alerting p-agent2 " + std::string(kReceived) + " R"});
    // Every leg but the customer's has ended: still not ended.
    EXPECT_TRUE(h.feed(snapshot({customer("connected"), acd_transferred(),
                                 agent("p-agent1", transferred_away),
                                 acd_transferred("p-acd2", "09:15:40.010", "09:16:00.000")}))
                    .empty());
}

TEST(SnapshotDeriver, CustomerLegMovedByTransferIsNotEnded) {
    Harness h;
    const std::string moved =
        R"(,"disconnectType":"transfer","disconnectedTime":"2026-04-01T09:15:00.000Z")";
    EXPECT_EQ(brief(h.feed(snapshot({customer("disconnected", moved), acd_transferred(),
                                     agent("p-agent", kAgentConnected)}))),
              (Strings{"queued p-acd 2026-04-01T09:14:09.500Z",
                       "contact p-agent 2026-04-01T09:14:31.000Z"}));
}

TEST(SnapshotDeriver, EveryParticipantEndedIsEndedWhenThereIsNoCustomer) {
    Harness h;
    // An internal call between two users: no customer or external participant.
    const std::string user1 =
        R"({"id":"p-u1","purpose":"user","userId":"u1","connectedTime":"2026-04-01T09:00:00.000Z",)"
        R"("endTime":"2026-04-01T09:05:00.000Z","calls":[{"id":"c1","state":"terminated"}]})";
    const std::string user2 =
        R"({"id":"p-u2","purpose":"user","userId":"u2","calls":[{"id":"c2","state":"disconnected",)"
        R"("connectedTime":"2026-04-01T09:00:01.000Z",)"
        R"("disconnectedTime":"2026-04-01T09:05:01.000Z"}]})";
    EXPECT_EQ(
        brief(h.feed(snapshot({user1, user2}), "v2.users.u1.conversations")),
        (Strings{"contact p-u1 2026-04-01T09:00:00.000Z", "contact p-u2 2026-04-01T09:00:01.000Z",
                 "ended p-u2 2026-04-01T09:05:01.000Z"}));
}

TEST(SnapshotDeriver, ExternalLegIsTheCustomerOnlyWhenThereIsNoCustomer) {
    Harness h;
    // An agent-placed call to an external number: the far end is purpose "external".
    const std::string external =
        R"({"id":"p-ext","purpose":"external","calls":[{"id":"c-ext","state":"disconnected",)"
        R"("disconnectedTime":"2026-04-01T09:30:00.000Z","disconnectType":"peer"}]})";
    const std::string user =
        R"({"id":"p-u","purpose":"user","userId":"u","calls":[{"id":"c-u","state":"connected",)"
        R"("connectedTime":"2026-04-01T09:25:00.000Z"}]})";
    EXPECT_EQ(
        brief(h.feed(snapshot({user, external}, "conv-ext"), "v2.users.u.conversations")),
        (Strings{"contact p-u 2026-04-01T09:25:00.000Z", "ended p-ext 2026-04-01T09:30:00.000Z"}));
    // With a customer present, an external (e.g. consulted) party hanging up is not the end.
    EXPECT_TRUE(h.feed(snapshot({customer("connected"), user, external}, "conv-consult")).size() ==
                1U);  // contact only
}

TEST(SnapshotDeriver, DataDropsWhitespaceBetweenTokensButKeepsStringBytes) {
    Harness h;
    const std::string text =
        "{\n  \"id\": \"conv-ws\",\n  \"participants\": [\n    {\"id\": \"p-a\", "
        "\"purpose\" : \"agent\", \"calls\": [ {\"id\": \"c\", \"state\": \"connected\",\n"
        "      \"connectedTime\": \"2026-04-01T09:14:31.000Z\",\n      \"afterCallWork\": {\n"
        "        \"state\": \"pending\", \"note\": \"a \\\"b\\\" \\\\ c\"\n      } } ] },\n"
        "    {\"id\": \"p-c\", \"purpose\": \"customer\", \"calls\": [{\"state\": "
        "\"connected\"}]}\n"
        "  ]\n}";
    const auto out = h.feed(text);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[1].state, "acw");
    EXPECT_EQ(out[1].data_json,
              R"({"purpose":"agent","media":{"type":"call","id":"c","state":"connected",)"
              R"("afterCallWork":{"state":"pending","note":"a \"b\" \\ c"}}})");
    EXPECT_TRUE(out[1].time_received);
}

TEST(SnapshotDeriver, FirstSeenMidConversationYieldsOnlyWhatItProves) {
    Harness h;
    // The acd leg has no connectedTime and is no longer connected: it proves no queued.
    const std::string acd_without_time =
        R"({"id":"p-acd","purpose":"acd","queueId":"2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c",)"
        R"("calls":[{"id":"c-acd","state":"disconnected","disconnectType":"transfer"}]})";
    EXPECT_EQ(brief(h.feed(snapshot(
                  {customer("connected"), acd_without_time, agent("p-agent", kAgentConnected)}))),
              Strings{"contact p-agent 2026-04-01T09:14:31.000Z"});

    Harness h2;
    // Same moment, but the acd leg's connectedTime proves queued; still no alerting.
    EXPECT_EQ(brief(h2.feed(snapshot(
                  {customer("connected"), acd_transferred(), agent("p-agent", kAgentConnected)}))),
              (Strings{"queued p-acd 2026-04-01T09:14:09.500Z",
                       "contact p-agent 2026-04-01T09:14:31.000Z"}));

    Harness h3;
    // First seen in after-call work: contact (connectedTime) and acw, not alerting.
    EXPECT_EQ(brief(h3.feed(snapshot({customer("connected"), agent("p-agent", kAgentAcw)}))),
              (Strings{"contact p-agent 2026-04-01T09:14:31.000Z",
                       "acw p-agent 2026-04-01T09:18:45.250Z"}));
}

TEST(SnapshotDeriver, NoTimestampUsesTheReceiveTime) {
    Harness h;
    const std::string acd_no_time =
        R"({"id":"p-acd","purpose":"acd","calls":[{"id":"c-acd","state":"connected"}]})";
    const auto out = h.feed(snapshot({customer("connected"), acd_no_time}), kTopic, 1775035200123);
    ASSERT_EQ(out.size(), 1U);
    EXPECT_EQ(out[0].state, "queued");
    EXPECT_TRUE(out[0].time_received);
    EXPECT_EQ(out[0].event_time, "2026-04-01T09:20:00.123Z");
    EXPECT_EQ(out[0].queue_id, kQueue);  // from the topic: the participant has none
    EXPECT_EQ(out[0].data_json,
              R"({"purpose":"acd","media":{"type":"call","id":"c-acd","state":"connected"}})");
}

TEST(SnapshotDeriver, AcwFromParticipantStartAcwTimeAndCompleteAcw) {
    Harness h;
    const std::string complete =
        R"("state":"disconnected","connectedTime":"2026-04-01T09:14:31.000Z",)"
        R"("afterCallWork":{"state":"complete","startTime":"2026-04-01T09:18:00.000Z",)"
        R"("endTime":"2026-04-01T09:18:30.000Z"})";
    // A connected customer in each: otherwise every participant ended, and so the conversation.
    EXPECT_EQ(
        brief(h.feed(snapshot({customer("connected"), agent("p-a1", complete)}, "conv-1"))),
        (Strings{"contact p-a1 2026-04-01T09:14:31.000Z", "acw p-a1 2026-04-01T09:18:00.000Z"}));
    const std::string skipped =
        R"("state":"disconnected","connectedTime":"2026-04-01T09:14:31.000Z",)"
        R"("afterCallWork":{"state":"skipped"})";
    EXPECT_EQ(brief(h.feed(snapshot({customer("connected"), agent("p-a2", skipped)}, "conv-2"))),
              Strings{"contact p-a2 2026-04-01T09:14:31.000Z"});
    EXPECT_EQ(brief(h.feed(snapshot(
                  {customer("connected"), agent("p-a3", R"("state":"disconnected")",
                                                R"("startAcwTime":"2026-04-01T09:19:00.000Z",)")},
                  "conv-3"))),
              Strings{"acw p-a3 2026-04-01T09:19:00.000Z"});
}

TEST(SnapshotDeriver, MalformedSnapshotsAreCountedAndIgnored) {
    Harness h;
    EXPECT_TRUE(h.feed(R"({"participants":[]})").empty());
    EXPECT_TRUE(h.feed(R"({"id":"c","participants":{}})").empty());
    EXPECT_TRUE(h.feed(R"([1,2])").empty());
    EXPECT_EQ(h.deriver.malformed_snapshots(), 3U);
    EXPECT_EQ(h.deriver.snapshots(), 3U);
    EXPECT_EQ(h.deriver.conversations(), 0U);
}

TEST(SnapshotDeriver, EndedConversationsLeaveAfterTheEndedTtl) {
    SnapshotDeriverOptions options;
    options.ended_ttl_ms = 1000;
    options.idle_ttl_ms = 5000;
    Harness h(options);
    const auto steps = scripted_call();
    h.now_ms = 0;
    h.feed(steps[5]);  // conversation A ended at t=0
    h.now_ms = 500;
    h.feed(snapshot({customer("connected"), acd_connected()}, "conv-B"));  // B active at t=500
    EXPECT_EQ(h.deriver.conversations(), 2U);
    h.deriver.expire(999);
    EXPECT_EQ(h.deriver.conversations(), 2U);
    h.deriver.expire(1000);
    EXPECT_EQ(h.deriver.conversations(), 1U);  // A left, B stays
    h.deriver.expire(5499);
    EXPECT_EQ(h.deriver.conversations(), 1U);
    h.deriver.expire(5500);
    EXPECT_EQ(h.deriver.conversations(), 0U);  // B idle for idle_ttl_ms
    EXPECT_EQ(h.deriver.evicted(), 2U);
    // After eviction a snapshot is new again (the pipeline's id dedup drops the repeats).
    h.now_ms = 6000;
    EXPECT_EQ(h.feed(steps[5]).size(), 4U);  // queued, contact, acw, ended
}

TEST(SnapshotDeriver, SnapshotsAfterEndedKeepTheConversationAndStillYieldAcw) {
    SnapshotDeriverOptions options;
    options.ended_ttl_ms = 1000;
    Harness h(options);
    const auto steps = scripted_call();
    h.now_ms = 0;
    h.feed(steps[3]);
    // Customer hangs up first; the agent's after-call work comes in a later snapshot.
    const std::string agent_disconnected =
        R"("state":"disconnected","connectedTime":"2026-04-01T09:14:31.000Z",)"
        R"("disconnectedTime":"2026-04-01T09:18:46.100Z","disconnectType":"peer")";
    h.now_ms = 100;
    EXPECT_EQ(brief(h.feed(snapshot({customer("disconnected", kCustomerEnded), acd_transferred(),
                                     agent("p-agent", agent_disconnected)}))),
              Strings{"ended p-cust 2026-04-01T09:18:46.002Z"});
    h.now_ms = 900;
    const std::string acw =
        R"("state":"disconnected","connectedTime":"2026-04-01T09:14:31.000Z",)"
        R"("disconnectedTime":"2026-04-01T09:18:46.100Z","disconnectType":"peer",)"
        R"("afterCallWork":{"state":"pending","startTime":"2026-04-01T09:18:46.100Z"})";
    EXPECT_EQ(brief(h.feed(snapshot({customer("disconnected", kCustomerEnded), acd_transferred(),
                                     agent("p-agent", acw)}))),
              Strings{"acw p-agent 2026-04-01T09:18:46.100Z"});
    h.deriver.expire(1899);  // the ended TTL counts from the last snapshot
    EXPECT_EQ(h.deriver.conversations(), 1U);
    h.deriver.expire(1900);
    EXPECT_EQ(h.deriver.conversations(), 0U);
}

TEST(SnapshotDeriver, LeastRecentlyUpdatedLeavesOverMaxConversations) {
    SnapshotDeriverOptions options;
    options.max_conversations = 2;
    Harness h(options);
    const std::string s = snapshot({customer("connected"), acd_connected()}, "conv-A");
    h.feed(s);
    h.feed(snapshot({customer("connected"), acd_connected()}, "conv-B"));
    h.feed(s);  // A updated: B is now the least recently updated
    EXPECT_EQ(h.feed(snapshot({customer("connected"), acd_connected()}, "conv-C")).size(), 1U);
    EXPECT_EQ(h.deriver.conversations(), 2U);
    EXPECT_EQ(h.deriver.evicted(), 1U);
    EXPECT_TRUE(h.feed(s).empty());  // A is still tracked
    EXPECT_EQ(h.feed(snapshot({customer("connected"), acd_connected()}, "conv-B")).size(), 1U);
    EXPECT_EQ(h.deriver.conversations(), 2U);
}

}  // namespace
}  // namespace gstream::pipeline
