// The Notifications API emulator over real loopback sockets: channels, subscriptions, the
// WebSocket at connectUri (heartbeat, ping/pong, socket_closing, expiry, eviction, stall, token
// revocation) and the generated stream against its manifest.

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/json_document.hpp"
#include "emulator/conversation_generator.hpp"
#include "emulator/emulator.hpp"
#include "pipeline/snapshot/snapshot_deriver.hpp"
#include "support/child_process.hpp"
#include "support/ws_test_client.hpp"
#include "support/test_paths.hpp"

namespace gstream::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr const char* kChannels = "/api/v2/notifications/channels";
const std::string kQueueA = "2f6d0c3e-5b1a-4f0e-9a7c-1d2e3f4a5b6c";
const std::string kQueueB = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";
constexpr std::string_view kHeartbeat =
    R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})";
constexpr std::string_view kPong =
    R"({"eventBody":{"message":"pong"},"topicName":"channel.metadata"})";

std::string queue_topic(const std::string& q) {
    return "v2.routing.queues." + q + ".conversations";
}

// A blocking WebSocket client whose reads time out without failing the stream: a read that
// times out stays pending and the next read() call waits on it again.
class TestWs {
public:
    /// Connects to origin ("http://127.0.0.1:P") + target; returns the handshake status.
    int connect(const std::string& origin, const std::string& target) {
        const auto hostport = origin.substr(origin.find("://") + 3);
        const auto colon = hostport.rfind(':');
        tcp::resolver resolver(ioc_);
        beast::error_code ec;
        auto results = resolver.resolve(hostport.substr(0, colon), hostport.substr(colon + 1), ec);
        if (ec)
            return 0;
        beast::get_lowest_layer(ws_).connect(results, ec);
        if (ec)
            return 0;
        websocket::response_type res;
        ws_.handshake(res, hostport, target, ec);
        return static_cast<int>(res.result_int());
    }
    /// The next text message, or nullopt on timeout or once the stream ended (see closed()).
    std::optional<std::string> read(std::chrono::milliseconds timeout) {
        if (!messages_.empty())
            return pop();
        if (ended_)
            return std::nullopt;
        if (!reading_) {
            reading_ = true;
            ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
                reading_ = false;
                if (ec) {
                    ended_ = true;
                    if (ec == websocket::error::closed)
                        close_code_ = ws_.reason().code;
                    return;
                }
                messages_.push_back(beast::buffers_to_string(buffer_.data()));
                buffer_.consume(buffer_.size());
            });
        }
        ioc_.restart();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (reading_ && std::chrono::steady_clock::now() < deadline) {
            ioc_.run_one_until(deadline);
        }
        if (!messages_.empty())
            return pop();
        return std::nullopt;
    }
    /// Reads until the server closes (or `timeout`); returns what arrived.
    std::vector<std::string> read_all(std::chrono::milliseconds timeout) {
        std::vector<std::string> out;
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!ended_ && std::chrono::steady_clock::now() < deadline) {
            if (auto m = read(std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now()))) {
                out.push_back(std::move(*m));
            }
        }
        return out;
    }
    void send(const std::string& text) {
        bool done = false;
        ws_.async_write(asio::buffer(text), [&](beast::error_code, std::size_t) { done = true; });
        ioc_.restart();
        while (!done)
            ioc_.run_one_for(1s);
    }
    bool ended() const { return ended_; }
    int close_code() const { return close_code_; }

private:
    std::string pop() {
        std::string m = std::move(messages_.front());
        messages_.pop_front();
        return m;
    }
    asio::io_context ioc_;
    websocket::stream<beast::tcp_stream> ws_{ioc_};
    beast::flat_buffer buffer_;
    std::deque<std::string> messages_;
    bool reading_ = false, ended_ = false;
    int close_code_ = -1;
};

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

class NotificationsEmulatorTest : public ::testing::Test {
protected:
    void start(EmulatorOptions o) {
        o.protocol = "notifications";
        emulator_ = std::make_unique<Emulator>(o);
        emulator_->start();
        origin_ = emulator_->origin();
        token_ = new_token();
    }
    std::string new_token() {
        const auto r = test::http_post(origin_, "/oauth/token",
                                       {{"Authorization", test::basic_auth("id", "secret")},
                                        {"Content-Type", "application/x-www-form-urlencoded"}},
                                       "grant_type=client_credentials");
        EXPECT_EQ(r.status, 200) << r.body;
        return std::string(json::parse(r.body).at("access_token").as_string());
    }
    test::HttpResult call(const std::string& method,
                          const std::string& target,
                          const std::string& body = {},
                          const std::string& token = {}) {
        return test::http_request(method, origin_, target,
                                  {{"Authorization", "Bearer " + (token.empty() ? token_ : token)},
                                   {"Content-Type", "application/json"}},
                                  body);
    }
    /// Creates a channel; returns {id, connectUri path}.
    std::pair<std::string, std::string> channel() {
        const auto r = call("POST", kChannels);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto o = json::parse(r.body).as_object();
        const std::string uri(o.at("connectUri").as_string());
        EXPECT_TRUE(uri.starts_with("ws://127.0.0.1:")) << uri;
        return {std::string(o.at("id").as_string()), uri.substr(uri.find("/channels/"))};
    }
    void subscribe(const std::string& id, const std::vector<std::string>& topics) {
        json::array body;
        for (const auto& t : topics)
            body.push_back(json::object{{"id", t}});
        const auto r = call("PUT", std::string(kChannels) + "/" + id + "/subscriptions",
                            json::serialize(body));
        EXPECT_EQ(r.status, 200) << r.body;
    }
    int head(const std::string& id, const std::string& token = {}) {
        return call("HEAD", std::string(kChannels) + "/" + id, {}, token).status;
    }
    test::HttpResult control(const std::string& body) {
        return test::http_post(origin_, "/emulator/control/faults",
                               {{"Content-Type", "application/json"}}, body);
    }

    std::unique_ptr<Emulator> emulator_;
    std::string origin_, token_;
};

TEST_F(NotificationsEmulatorTest, GeneratedStreamMatchesTheManifestAndEndsWith1000) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("gstream-emunotif-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string manifest_path = (dir / "manifest.json").string();
    EmulatorOptions o;
    o.seed = 11;
    o.conversations = 40;
    o.manifest_file = manifest_path;
    o.faults = {"duplicate_exact:5:2", "drop:9"};
    start(o);
    auto [id, path] = channel();
    // Queue A only (queue B's snapshots must not arrive) plus two detail kinds of every
    // conversation.
    std::vector<std::string> topics = {queue_topic(kQueueA)};
    for (const auto& c : conversation_ids(11, 40)) {
        topics.push_back("v2.detail.events.conversation." + c + ".customer.end");
        topics.push_back("v2.detail.events.conversation." + c + ".acd.start");
    }
    subscribe(id, topics);
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    std::vector<std::string> messages = ws.read_all(20s);
    ASSERT_TRUE(ws.ended());
    EXPECT_EQ(ws.close_code(), 1000);
    ASSERT_TRUE(emulator_->wait_finished(5s));

    std::ifstream in(manifest_path);
    std::stringstream text;
    text << in.rdbuf();
    const json::object m = json::parse(text.str()).as_object();
    std::map<std::string, std::uint64_t> by_kind;
    std::uint64_t snapshots = 0, details = 0;
    pipeline::SnapshotDeriver deriver;
    std::vector<pipeline::Transition> transitions;
    std::int64_t now = 0;
    for (const auto& msg : messages) {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(msg)) << msg;
        const std::string topic(doc.root().find("topicName").get_string());
        if (topic == "channel.metadata")
            continue;
        by_kind[topic_kind(topic)]++;
        if (topic.starts_with("v2.routing.queues.")) {
            ++snapshots;
            EXPECT_EQ(topic, queue_topic(kQueueA));
            deriver.derive(topic, doc.root().find("eventBody"), 1'800'000'000'000, ++now,
                           transitions);
        } else {
            ++details;
        }
    }
    EXPECT_EQ(m.at("messages").to_number<std::uint64_t>(), snapshots + details);
    EXPECT_EQ(m.at("snapshots").to_number<std::uint64_t>(), snapshots);
    EXPECT_EQ(m.at("detail_events").to_number<std::uint64_t>(), details);
    EXPECT_EQ(m.at("faults").at("duplicated_exact").to_number<std::uint64_t>(), 2U);
    EXPECT_EQ(m.at("faults").at("dropped").to_number<std::uint64_t>(), 1U);
    for (const auto& [k, n] : m.at("by_topic_kind").as_object()) {
        EXPECT_EQ(by_kind[std::string(k)], n.to_number<std::uint64_t>()) << k;
    }
    EXPECT_EQ(by_kind.size(), m.at("by_topic_kind").as_object().size());
    EXPECT_EQ(m.at("queues").as_array().size(), 1U);
    // The consumer's deriver reproduces the manifest's transitions (the one dropped message may
    // hide one transition; the duplicates none).
    std::set<std::string> derived;
    for (const auto& t : transitions)
        derived.insert(t.id);
    std::set<std::string> expected;
    for (const auto& state : kLifecycleStates) {
        const auto& entry = m.at("transitions").at(state).as_object();
        EXPECT_EQ(entry.at("count").to_number<std::uint64_t>(), entry.at("keys").as_array().size());
        for (const auto& k : entry.at("keys").as_array())
            expected.insert(std::string(k.as_string()));
    }
    EXPECT_EQ(m.at("transitions").at("total").to_number<std::uint64_t>(), expected.size());
    for (const auto& k : derived)
        EXPECT_TRUE(expected.count(k)) << k;
    EXPECT_GE(derived.size() + 1, expected.size());
    // The final manifest has the sent counts.
    EXPECT_EQ(m.at("sent").at("data_messages").to_number<std::uint64_t>(), snapshots + details);
    std::filesystem::remove_all(dir);
}

TEST_F(NotificationsEmulatorTest, WholeScriptTransitionsArriveWithoutFaults) {
    EmulatorOptions o;
    o.seed = 5;
    o.conversations = 25;
    start(o);
    auto [id, path] = channel();
    subscribe(id, {queue_topic(kQueueA), queue_topic(kQueueB)});
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    const auto messages = ws.read_all(20s);
    EXPECT_EQ(ws.close_code(), 1000);
    ConversationGenerator g({5, 25, {kQueueA, kQueueB}, o.conversation_concurrency});
    std::size_t expected_snapshots = 0;
    while (auto msg = g.next()) {
        expected_snapshots += msg->kind == NotificationMessage::Kind::kSnapshot ? 1 : 0;
    }
    pipeline::SnapshotDeriver deriver;
    std::vector<pipeline::Transition> out;
    std::int64_t now = 0;
    for (const auto& msg : messages) {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(msg));
        deriver.derive(doc.root().find("topicName").get_string(), doc.root().find("eventBody"),
                       1'800'000'000'000, ++now, out);
    }
    EXPECT_EQ(messages.size(), expected_snapshots);  // no detail topics subscribed
    EXPECT_EQ(out.size(), g.transitions().total());
}

TEST_F(NotificationsEmulatorTest, HeartbeatAndPingPong) {
    EmulatorOptions o;
    o.heartbeat_ms = 100;
    start(o);
    auto [id, path] = channel();
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    EXPECT_EQ(ws.read(3s).value_or(""), kHeartbeat);
    ws.send(R"({"message":"ping"})");
    bool pong = false;
    for (int i = 0; i < 10 && !pong; ++i) {
        const auto m = ws.read(3s);
        ASSERT_TRUE(m);
        pong = *m == kPong;
        if (!pong) {
            EXPECT_EQ(*m, kHeartbeat);
        }
    }
    EXPECT_TRUE(pong);
    // The counters move when the server's write completes, which may be after the client read.
    EXPECT_TRUE(eventually([&] { return emulator_->stats().pongs == 1; }));
    EXPECT_GE(emulator_->stats().heartbeats, 1U);
}

TEST_F(NotificationsEmulatorTest, SocketClosingThenClose1001AfterTheDelay) {
    EmulatorOptions o;
    o.heartbeat_ms = 60000;
    o.socket_closing_delay_ms = 300;
    start(o);
    auto [id, path] = channel();
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    const auto r = control(R"({"fault":"socket_closing"})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"fault":"socket_closing","count":1})");
    const auto t0 = std::chrono::steady_clock::now();
    const auto m = ws.read(3s);
    ASSERT_TRUE(m);
    const auto v = json::parse(*m).as_object();
    EXPECT_EQ(v.at("topicName").as_string(), "v2.system.socket_closing");
    EXPECT_EQ(v.at("eventBody").at("channelId").as_string(), id);
    EXPECT_TRUE(ws.read_all(3s).empty());
    EXPECT_EQ(ws.close_code(), 1001);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
    EXPECT_EQ(control(R"({"fault":"nope"})").status, 400);
}

TEST_F(NotificationsEmulatorTest, StallSendsNothingAndIgnoresPingsUntilResumed) {
    EmulatorOptions o;
    o.heartbeat_ms = 50;
    start(o);
    auto [id, path] = channel();
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    ASSERT_TRUE(ws.read(3s));
    emulator_->inject(NotificationFault::kStall);
    while (ws.read(200ms)) {
    }  // what was already in flight
    ws.send(R"({"message":"ping"})");
    EXPECT_FALSE(ws.read(500ms).has_value());
    EXPECT_FALSE(ws.ended());
    emulator_->inject(NotificationFault::kResume);
    EXPECT_EQ(ws.read(3s).value_or(""), kHeartbeat);
    EXPECT_EQ(emulator_->stats().pongs, 0U);
}

TEST_F(NotificationsEmulatorTest, TokenRevocationSendsTheSystemMessageAndInvalidatesTokens) {
    EmulatorOptions o;
    o.heartbeat_ms = 60000;
    start(o);
    auto [id, path] = channel();
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    emulator_->inject(NotificationFault::kTokenRevoked);
    const auto m = ws.read(3s);
    ASSERT_TRUE(m);
    const auto v = json::parse(*m).as_object();
    EXPECT_EQ(v.at("topicName").as_string(), "v2.system.token_revoked." + id);
    EXPECT_EQ(v.at("eventBody").at("systemTopicType").as_string(), "token_revoked");
    EXPECT_TRUE(ws.read_all(3s).empty());
    EXPECT_EQ(ws.close_code(), 1001);
    EXPECT_EQ(call("POST", kChannels).status, 401);
    EXPECT_EQ(head(id, new_token()), 404);
}

TEST_F(NotificationsEmulatorTest, NoLongerSubscribedClearsTopicsAndClose1001IsMaintenance) {
    EmulatorOptions o;
    o.heartbeat_ms = 60000;
    start(o);
    auto [id, path] = channel();
    subscribe(id, {"v2.detail.events.conversation.c-c-c-c.acd.end"});  // no stream topic
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    ASSERT_EQ(control(R"({"fault":"no_longer_subscribed"})").status, 200);
    const auto m = ws.read(3s);
    ASSERT_TRUE(m);
    const auto v = json::parse(*m).as_object();
    EXPECT_EQ(v.at("topicName").as_string(), "v2.system.no_longer_subscribed." + id);
    EXPECT_EQ(v.at("eventBody").at("reason").as_string(), "another_channel_subscribed");
    EXPECT_EQ(call("GET", std::string(kChannels) + "/" + id + "/subscriptions").body,
              R"({"entities":[]})");
    ASSERT_EQ(control(R"({"fault":"close1001","count":1})").status, 200);
    EXPECT_TRUE(ws.read_all(3s).empty());
    EXPECT_EQ(ws.close_code(), 1001);
    EXPECT_EQ(head(id), 200);  // the channel lives on: reconnect to it
    TestWs again;
    EXPECT_EQ(again.connect(origin_, path), 101);
    TestWs third;
    EXPECT_EQ(third.connect(origin_, path), 409);
}

TEST_F(NotificationsEmulatorTest, ExpiredChannelClosesAndHeadAnswers404) {
    EmulatorOptions o;
    o.channel_ttl_ms = 400;
    o.heartbeat_ms = 60000;
    start(o);
    auto [id, path] = channel();
    EXPECT_EQ(head(id), 200);
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    EXPECT_TRUE(ws.read_all(5s).empty());
    EXPECT_EQ(ws.close_code(), 1001);
    EXPECT_EQ(head(id), 404);
    TestWs again;
    EXPECT_EQ(again.connect(origin_, path), 401);
}

TEST_F(NotificationsEmulatorTest, EvictedChannelSocketIsClosed) {
    EmulatorOptions o;
    o.max_channels = 1;
    o.heartbeat_ms = 60000;
    start(o);
    auto [id, path] = channel();
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    TestWs second;
    EXPECT_EQ(second.connect(origin_, path), 409);  // one connection per channel
    auto [id2, path2] = channel();
    EXPECT_TRUE(ws.read_all(3s).empty());
    EXPECT_EQ(ws.close_code(), 1001);
    EXPECT_EQ(head(id), 404);
    EXPECT_EQ(head(id2), 200);
    EXPECT_TRUE(eventually([&] { return emulator_->stats().channels_evicted == 1; }));
}

TEST_F(NotificationsEmulatorTest, TwentyFirstChannelEvictsTheOldest) {
    start({});
    std::vector<std::string> ids;
    for (int i = 0; i < 21; ++i)
        ids.push_back(channel().first);
    EXPECT_EQ(head(ids[0]), 404);
    for (int i = 1; i < 21; ++i)
        EXPECT_EQ(head(ids[static_cast<std::size_t>(i)]), 200);
    const auto list = call("GET", kChannels);
    EXPECT_EQ(json::parse(list.body).at("entities").as_array().size(), 20U);
}

TEST_F(NotificationsEmulatorTest, RestErrorsCarryCorrelationIdAndRetryAfter) {
    EmulatorOptions o;
    o.channel_create_429_count = 1;
    o.retry_after_s = 3;
    o.forbidden_topic_prefixes = {"v2.users."};
    start(o);
    auto r = call("POST", kChannels);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.headers["retry-after"], "3");
    EXPECT_EQ(r.headers["inin-correlation-id"].size(), 36U);
    auto [id, path] = channel();
    r = call("PUT", std::string(kChannels) + "/" + id + "/subscriptions",
             R"([{"id":"v2.users.u-u-u-u.presence"}])");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(json::parse(r.body).at("code").as_string(), "missing.permissions");
    std::string many = "[";
    for (int i = 0; i < 1001; ++i) {
        many += (i ? "," : "") + std::string(R"({"id":"v2.routing.queues.q)") + std::to_string(i) +
                R"(-x.conversations"})";
    }
    many += "]";
    r = call("PUT", std::string(kChannels) + "/" + id + "/subscriptions", many);
    EXPECT_EQ(r.status, 400);
    TestWs unknown;
    EXPECT_EQ(unknown.connect(origin_, "/channels/streaming-0-unknown"), 401);
}

TEST_F(NotificationsEmulatorTest, ReplaySendsLinesVerbatimOnTheFirstChannel) {
    const auto file = std::filesystem::temp_directory_path() /
                      ("gstream-emunotif-replay-" + std::to_string(::getpid()));
    {
        std::ofstream out(file);
        out << R"({"topicName":"a","version":"2","eventBody":{},"metadata":{"CorrelationId":"1"}})"
            << "\n\nnot json\n";
    }
    EmulatorOptions o;
    o.replay_file = file.string();
    o.heartbeat_ms = 60000;
    start(o);
    auto [id, path] = channel();
    TestWs ws;
    ASSERT_EQ(ws.connect(origin_, path), 101);
    const auto messages = ws.read_all(5s);
    ASSERT_EQ(messages.size(), 2U);
    EXPECT_EQ(messages[1], "not json");
    EXPECT_EQ(ws.close_code(), 1000);
    std::filesystem::remove(file);
}

// The binary: `genesys-stream emulate --protocol notifications` prints its port, serves a channel,
// and exits 0 once the generated stream was sent and closed with 1000.
TEST(NotificationsEmulateCommandTest, ServesAndExitsZeroAfterTheStream) {
    testing::TempDir dir;
    testing::ChildProcess child(
        {GSTREAM_BINARY, "emulate", "--protocol", "notifications", "--conversations", "3", "--seed",
         "4", "--manifest", dir.file("m.json"), "--fault", "duplicate:2"},
        {}, dir.file("stderr"));
    const auto line = child.wait_for_line("listening ", 10s);
    ASSERT_TRUE(line) << testing::read_file(dir.file("stderr"));
    const std::string origin = "http://" + line->substr(10);
    const auto t = test::http_post(origin, "/oauth/token",
                                   {{"Authorization", test::basic_auth("id", "secret")},
                                    {"Content-Type", "application/x-www-form-urlencoded"}},
                                   "grant_type=client_credentials");
    ASSERT_EQ(t.status, 200);
    const std::string bearer =
        "Bearer " + std::string(json::parse(t.body).at("access_token").as_string());
    const auto c = test::http_post(origin, kChannels, {{"Authorization", bearer}}, "");
    ASSERT_EQ(c.status, 200);
    const std::string id(json::parse(c.body).at("id").as_string());
    const auto sub =
        test::http_request("PUT", origin, std::string(kChannels) + "/" + id + "/subscriptions",
                           {{"Authorization", bearer}, {"Content-Type", "application/json"}},
                           R"([{"id":")" + queue_topic(kQueueA) + R"("}])");
    ASSERT_EQ(sub.status, 200) << sub.body;
    TestWs ws;
    ASSERT_EQ(ws.connect(origin, "/channels/" + id), 101);
    const auto messages = ws.read_all(10s);
    EXPECT_EQ(ws.close_code(), 1000);
    EXPECT_EQ(child.wait(10s), 0);
    const json::value m = json::parse(testing::read_file(dir.file("m.json")));
    EXPECT_EQ(m.at("messages").to_number<std::uint64_t>(), messages.size());
    EXPECT_EQ(m.at("faults").at("duplicated").to_number<std::uint64_t>(), 1U);
    EXPECT_EQ(m.at("sent").at("data_messages").to_number<std::uint64_t>(), messages.size());
    // The redelivered copy: same body, a new CorrelationId.
    const auto a = json::parse(messages.at(2)).as_object();
    const auto b = json::parse(messages.at(3)).as_object();
    EXPECT_EQ(json::serialize(a.at("eventBody")), json::serialize(b.at("eventBody")));
    EXPECT_NE(a.at("metadata").at("CorrelationId"), b.at("metadata").at("CorrelationId"));
}

}  // namespace
}  // namespace gstream::emulator
