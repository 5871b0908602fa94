// The emulator over real loopback sockets: REST, handshake, replay, drops, generator, TLS.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "core/time.hpp"
#include "emulator/emulator.hpp"
#include "emulator/generator.hpp"
#include "support/ws_test_client.hpp"

namespace gstream::emulator {
namespace {

namespace json = boost::json;
using test::http_post;
using test::ws_read;

constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kSubs = "/api/v2/eventbridge/streams/interaction.lifecycle/subscriptions";
constexpr const char* kStream = "/api/v2/eventbridge/interaction.lifecycle";

class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "gstream-emulator-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string get_token(const std::string& origin, const std::string& ca = {}) {
    auto r = http_post(origin, "/oauth/token",
                       {{"Authorization", test::basic_auth("id", "secret")}, {"Content-Type", kForm}},
                       "grant_type=client_credentials", ca);
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    return std::string(json::parse(r.body).at("access_token").as_string());
}

std::string subscribe(const std::string& origin, const std::string& token,
                      const std::string& body) {
    auto r = http_post(origin, kSubs,
                       {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                       body);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("id").as_string());
}

std::string stream_target(const std::string& token) { return std::string(kStream) + "?token=" + token; }

TEST(EmulatorTest, TokenIssuedForGoodCredentialsOnly) {
    EmulatorOptions o;
    o.client_id = "id";
    o.client_secret = "secret";
    o.token_ttl_s = 600;
    Emulator emu(o);
    emu.start();
    const std::string origin = emu.origin();
    EXPECT_EQ(origin, "http://127.0.0.1:" + std::to_string(emu.port()));

    auto ok = http_post(origin, "/oauth/token",
                        {{"Authorization", test::basic_auth("id", "secret")}, {"Content-Type", kForm}},
                        "grant_type=client_credentials");
    ASSERT_EQ(ok.status, 200) << ok.error;
    const auto body = json::parse(ok.body).as_object();
    EXPECT_FALSE(body.at("access_token").as_string().empty());
    EXPECT_EQ(body.at("token_type").as_string(), "bearer");
    EXPECT_EQ(body.at("expires_in").as_int64(), 600);
    EXPECT_EQ(ok.headers.count("inin-correlation-id"), 1u);

    auto bad = http_post(origin, "/oauth/token",
                         {{"Authorization", test::basic_auth("id", "wrong")}, {"Content-Type", kForm}},
                         "grant_type=client_credentials");
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(json::parse(bad.body),
              json::parse(R"({"error":"invalid_client","description":"authentication failed",)"
                          R"("error_description":"authentication failed"})"));
    EXPECT_EQ(bad.headers.count("inin-correlation-id"), 1u);

    auto missing = http_post(origin, "/oauth/token", {{"Content-Type", kForm}},
                             "grant_type=client_credentials");
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(json::parse(missing.body).at("error").as_string(), "invalid_client");

    auto grant = http_post(origin, "/oauth/token",
                           {{"Authorization", test::basic_auth("id", "secret")}, {"Content-Type", kForm}},
                           "grant_type=password");
    EXPECT_EQ(grant.status, 400);
    EXPECT_EQ(json::parse(grant.body).at("error").as_string(), "unsupported_grant_type");
    EXPECT_EQ(emu.stats().tokens_issued, 1u);
}

TEST(EmulatorTest, SubscriptionAnswers429ThenCreates) {
    EmulatorOptions o;
    o.subscribe_429_count = 2;
    o.retry_after_s = 3;
    Emulator emu(o);
    emu.start();
    const std::string origin = emu.origin();
    const std::string body =
        R"({"stream":"interaction.lifecycle","filter":{"routing.queue.id":"q-1",)"
        R"("interaction.state":["queued","contact"]}})";

    auto no_token = http_post(origin, kSubs, {{"Content-Type", "application/json"}}, body);
    EXPECT_EQ(no_token.status, 401);
    EXPECT_EQ(json::parse(no_token.body).at("code").as_string(), "authentication.required");
    auto unknown = http_post(origin, kSubs, {{"Authorization", "Bearer nope"}}, body);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(json::parse(unknown.body).at("status").as_int64(), 401);

    const std::string token = get_token(origin);
    const test::Headers auth = {{"Authorization", "Bearer " + token},
                                {"Content-Type", "application/json"}};
    for (int i = 0; i < 2; ++i) {
        auto limited = http_post(origin, kSubs, auth, body);
        ASSERT_EQ(limited.status, 429);
        EXPECT_EQ(limited.headers["retry-after"], "3");
        const auto err = json::parse(limited.body).as_object();
        EXPECT_EQ(err.at("code").as_string(), "too.many.requests");
        EXPECT_EQ(err.at("status").as_int64(), 429);
        EXPECT_FALSE(err.at("contextId").as_string().empty());
        EXPECT_FALSE(err.at("message").as_string().empty());
        EXPECT_EQ(limited.headers.count("inin-correlation-id"), 1u);
    }
    auto created = http_post(origin, kSubs, auth, body);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto sub = json::parse(created.body).as_object();
    EXPECT_EQ(sub.at("id").as_string().size(), 36u);
    EXPECT_EQ(sub.at("stream").as_string(), "interaction.lifecycle");
    EXPECT_EQ(sub.at("filter"), json::parse(R"({"routing.queue.id":"q-1",)"
                                            R"("interaction.state":["queued","contact"]})"));

    auto bad_state = http_post(origin, kSubs, auth,
                               R"({"stream":"interaction.lifecycle",)"
                               R"("filter":{"interaction.state":["waiting"]}})");
    EXPECT_EQ(bad_state.status, 400);
    EXPECT_EQ(json::parse(bad_state.body).at("code").as_string(), "bad.request");
    auto bad_json = http_post(origin, kSubs, auth, "{not json");
    EXPECT_EQ(bad_json.status, 400);
    auto bad_key = http_post(origin, kSubs, auth, R"({"filter":{"routing.user.id":"u"}})");
    EXPECT_EQ(bad_key.status, 400);

    const Stats s = emu.stats();
    EXPECT_EQ(s.subscriptions, 1u);
    EXPECT_EQ(s.subscriptions_rejected, 7u);
}

TEST(EmulatorTest, HandshakeRefusedWithBadTokenAndInjected401) {
    TempDir dir;
    write_file(dir.file("replay.jsonl"), "one\n");
    EmulatorOptions o;
    o.replay_file = dir.file("replay.jsonl");
    o.handshake_401_count = 1;
    Emulator emu(o);
    emu.start();
    const std::string origin = emu.origin();

    auto bad = ws_read(origin, stream_target("not-a-token"));
    EXPECT_EQ(bad.handshake_status, 401);  // the injected 401 (first handshake)
    const std::string token = get_token(origin);
    auto bad_token = ws_read(origin, stream_target("not-a-token"));
    EXPECT_EQ(bad_token.handshake_status, 401);
    EXPECT_EQ(json::parse(bad_token.handshake_body).at("code").as_string(),
              "authentication.required");
    auto ok = ws_read(origin, stream_target(token));
    EXPECT_EQ(ok.handshake_status, 101);
    EXPECT_EQ(ok.messages, std::vector<std::string>{"one"});
    EXPECT_EQ(ok.close_code, 1000);
    EXPECT_EQ(emu.stats().handshakes_rejected, 2u);
    EXPECT_EQ(emu.stats().handshakes, 1u);
}

TEST(EmulatorTest, ReplaySendsLinesVerbatimInOrderThenCloses1000) {
    TempDir dir;
    write_file(dir.file("replay.jsonl"),
               "{\"a\":1}\r\n\n  spaced  \nnot json at all\r\n\r\n{\"b\": [1, 2]}");
    EmulatorOptions o;
    o.replay_file = dir.file("replay.jsonl");
    Emulator emu(o);
    emu.start();
    const std::string token = get_token(emu.origin());
    auto r = ws_read(emu.origin(), stream_target(token));
    EXPECT_EQ(r.handshake_status, 101);
    EXPECT_EQ(r.messages, (std::vector<std::string>{"{\"a\":1}", "  spaced  ", "not json at all",
                                                    "{\"b\": [1, 2]}"}));
    EXPECT_EQ(r.close_code, 1000);
    EXPECT_TRUE(emu.wait_finished(std::chrono::seconds(10)));
    EXPECT_EQ(emu.stats().messages_sent, 4u);
}

// Writes "line-1" ... "line-N" to DIR/replay.jsonl and returns them.
std::vector<std::string> write_replay_lines(const TempDir& dir, int n) {
    std::string text;
    std::vector<std::string> lines;
    for (int i = 1; i <= n; ++i) {
        lines.push_back("line-" + std::to_string(i));
        text += lines.back() + "\n";
    }
    write_file(dir.file("replay.jsonl"), text);
    return lines;
}

void expect_drops_resume(const std::string& mode, int expected_drop_code) {
    TempDir dir;
    const std::vector<std::string> lines = write_replay_lines(dir, 10);
    EmulatorOptions o;
    o.replay_file = dir.file("replay.jsonl");
    o.drop_after_messages = 3;
    o.drop_mode = mode;
    Emulator emu(o);
    emu.start();
    const std::string token = get_token(emu.origin());
    std::vector<std::string> all;
    for (int connection = 0; connection < 4; ++connection) {
        auto r = ws_read(emu.origin(), stream_target(token));
        ASSERT_EQ(r.handshake_status, 101);
        const std::size_t expected = connection < 3 ? 3 : 1;
        ASSERT_EQ(r.messages.size(), expected) << "connection " << connection;
        EXPECT_EQ(r.close_code, connection < 3 ? expected_drop_code : 1000) << r.error;
        all.insert(all.end(), r.messages.begin(), r.messages.end());
    }
    EXPECT_EQ(all, lines);
    EXPECT_EQ(emu.stats().drops, 3u);
    EXPECT_TRUE(emu.wait_finished(std::chrono::seconds(10)));
}

TEST(EmulatorTest, ReconnectAfterClose1001ResumesAtNextLine) { expect_drops_resume("close1001", 1001); }

TEST(EmulatorTest, ReconnectAfterAbruptDropResumesAtNextLine) { expect_drops_resume("abrupt", -1); }

TEST(EmulatorTest, ReplayResumeOverlapResendsTheLastMessagesOnANewConnection) {
    TempDir dir;
    const std::vector<std::string> lines = write_replay_lines(dir, 10);
    EmulatorOptions o;
    o.replay_file = dir.file("replay.jsonl");
    o.drop_after_messages = 4;  // each connection ends after 4 messages fully written
    o.replay_resume_overlap = 2;
    Emulator emu(o);
    emu.start();
    const std::string token = get_token(emu.origin());
    EXPECT_EQ(ws_read(emu.origin(), stream_target(token)).messages,
              std::vector<std::string>(lines.begin(), lines.begin() + 4));
    // Each new connection starts 2 lines before where the previous one stopped.
    auto slice = [&](std::size_t from, std::size_t to) {
        return std::vector<std::string>(lines.begin() + from, lines.begin() + to);
    };
    EXPECT_EQ(ws_read(emu.origin(), stream_target(token)).messages, slice(2, 6));
    EXPECT_EQ(ws_read(emu.origin(), stream_target(token)).messages, slice(4, 8));
    auto last = ws_read(emu.origin(), stream_target(token));
    EXPECT_EQ(last.messages, slice(6, 10));
    EXPECT_EQ(last.close_code, 1000);
    EXPECT_EQ(emu.stats().resent, 6u);
    EXPECT_TRUE(emu.wait_finished(std::chrono::seconds(10)));
}

TEST(EmulatorTest, ReconnectAfterClientCloseResumes) {
    TempDir dir;
    write_file(dir.file("replay.jsonl"), "a\nb\nc\nd\n");
    EmulatorOptions o;
    o.replay_file = dir.file("replay.jsonl");
    Emulator emu(o);
    emu.start();
    const std::string token = get_token(emu.origin());
    // With tiny messages many may sit in socket buffers when the client leaves; the stream only
    // promises to continue after what was fully written, so the union covers every line in order.
    auto first = ws_read(emu.origin(), stream_target(token), {}, 1);
    ASSERT_EQ(first.messages, std::vector<std::string>{"a"});
    auto rest = ws_read(emu.origin(), stream_target(token));
    EXPECT_EQ(rest.close_code, 1000);
    EXPECT_LE(rest.messages.size(), 3u);
    const std::vector<std::string> tail = {"b", "c", "d"};
    EXPECT_TRUE(std::equal(rest.messages.rbegin(), rest.messages.rend(), tail.rbegin()));
}

TEST(EmulatorTest, HostileHttpIsAnsweredAndServerKeepsServing) {
    EmulatorOptions o;
    Emulator emu(o);
    emu.start();
    const std::string garbage = test::raw_exchange(emu.origin(), "GARBAGE\r\n\r\n");
    EXPECT_EQ(garbage.rfind("HTTP/1.1 400", 0), 0u) << garbage;
    const std::string huge = test::raw_exchange(
        emu.origin(), "GET / HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'x') + "\r\n\r\n");
    EXPECT_EQ(huge.rfind("HTTP/1.1 400", 0), 0u);
    auto missing = test::http_request("GET", emu.origin(), "/nothing");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(json::parse(missing.body).at("code").as_string(), "not.found");
    EXPECT_FALSE(get_token(emu.origin()).empty());
}

TEST(EmulatorTest, BadOptionsThrowClearErrors) {
    auto message = [](EmulatorOptions o) {
        try {
            Emulator emu(std::move(o));
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EmulatorOptions protocol;
    protocol.protocol = "bogus";
    EXPECT_NE(message(protocol).find("--protocol"), std::string::npos);
    EmulatorOptions replay;
    replay.replay_file = "/nonexistent/replay.jsonl";
    EXPECT_NE(message(replay).find("--replay"), std::string::npos);
    EmulatorOptions rate;
    rate.duplicate_rate = 1.5;
    EXPECT_NE(message(rate).find("--duplicate-rate"), std::string::npos);
    EmulatorOptions listen;
    listen.listen = "nowhere";
    EXPECT_NE(message(listen).find("--listen"), std::string::npos);
}

struct Counted {
    std::uint64_t events = 0, messages = 0, control = 0, not_json = 0, schema = 0,
                  bad_timestamp = 0, duplicate_key = 0, duplicates = 0, delivered = 0;
};

// Classifies messages the way SEED-PROTOCOL.md §3 tells a consumer to, and checks what every
// delivered event must satisfy.
Counted count_messages(const std::vector<std::string>& messages, const std::string& sub_id,
                       const StreamFilter& filter, std::int64_t max_out_of_order_ms) {
    Counted c;
    std::set<std::string> ids;
    std::int64_t max_ns = 0;
    for (const auto& text : messages) {
        ++c.messages;
        core::JsonDocument doc;
        if (!doc.parse(text) || !doc.root().is_object()) {
            ++c.not_json;
            continue;
        }
        const auto root = doc.root();
        const auto events = root.find("events");
        EXPECT_TRUE(events.is_array());
        if (!root.find("subscriptionId")) {
            EXPECT_EQ(events.size(), 0u);
            ++c.control;
            continue;
        }
        EXPECT_EQ(root.find("subscriptionId").get_string(), sub_id);
        events.for_each_element([&](core::JsonValue e) {
            ++c.events;
            if (e.has_duplicate_key()) {
                ++c.duplicate_key;
                return;
            }
            const auto instant = core::parse_rfc3339(e.find("timestamp").get_string());
            if (!instant) {
                ++c.bad_timestamp;
                return;
            }
            const auto data = e.find("data");
            const auto event_time = data.find("eventTime");
            if (!event_time.valid() || event_time.type() != core::JsonType::kInteger ||
                !data.find("conversationId").is_string()) {
                ++c.schema;
                return;
            }
            const std::string id(e.find("id").get_string());
            if (!ids.insert(id).second) {
                ++c.duplicates;
                return;
            }
            ++c.delivered;
            EXPECT_EQ(instant->ns, data.find("eventTime").get_int64() * 1'000'000) << e.raw();
            EXPECT_GE(instant->ns, max_ns - max_out_of_order_ms * 1'000'000) << e.raw();
            max_ns = std::max(max_ns, instant->ns);
            const auto type = e.find("eventType").get_string();
            EXPECT_TRUE(filter.passes(type, data.find("queueId").get_string(),
                                      data.find("acdOutcome").get_string()))
                << e.raw();
            const auto media = data.find("mediaType").get_string();
            EXPECT_TRUE(media == "VOICE" || media == "CHAT" || media == "MESSAGE" ||
                        media == "EMAIL" || media == "CALLBACK");
            EXPECT_EQ(data.find("direction").get_string(), "INBOUND");
            if (type == "acd.end") {
                const auto outcome = data.find("acdOutcome").get_string();
                EXPECT_TRUE(outcome == "ANSWERED" || outcome == "ABANDON");
            }
        });
    }
    return c;
}

EmulatorOptions faulty_options() {
    EmulatorOptions o;
    o.events = 700;
    o.events_per_message = 20;
    o.seed = 7;
    o.queue_count = 5;
    o.malformed_rate = 0.05;
    o.schema_invalid_rate = 0.04;
    o.duplicate_rate = 0.05;
    o.bad_timestamp_rate = 0.04;
    o.duplicate_key_rate = 0.04;
    o.max_out_of_order_ms = 5000;
    return o;
}

TEST(EmulatorTest, GeneratorManifestMatchesWhatTheClientCounts) {
    TempDir dir;
    EmulatorOptions o = faulty_options();
    o.manifest_file = dir.file("manifest.json");
    Emulator emu(o);
    emu.start();
    const std::string token = get_token(emu.origin());
    const auto queues = queue_ids(o.seed, o.queue_count);
    StreamFilter filter{{queues[0], queues[1], queues[2]}, {"queued", "contact", "acw", "ended"}};
    const std::string sub_id = subscribe(
        emu.origin(), token,
        R"({"stream":"interaction.lifecycle","filter":{"routing.queue.id":[")" + queues[0] +
            R"(",")" + queues[1] + R"(",")" + queues[2] +
            R"("],"interaction.state":["queued","contact","acw","ended"]}})");
    auto r = ws_read(emu.origin(), stream_target(token), {}, SIZE_MAX, std::chrono::seconds(15));
    ASSERT_EQ(r.close_code, 1000) << r.error;

    const Counted c = count_messages(r.messages, sub_id, filter, o.max_out_of_order_ms);
    const auto m = json::parse(read_file(*o.manifest_file)).as_object();
    const auto& dead = m.at("dead_lettered").as_object();
    EXPECT_EQ(m.at("events").as_int64(), static_cast<std::int64_t>(c.events));
    EXPECT_EQ(m.at("messages").as_int64(), static_cast<std::int64_t>(c.messages));
    EXPECT_EQ(m.at("control_messages").as_int64(), static_cast<std::int64_t>(c.control));
    EXPECT_EQ(dead.at("not_json").as_int64(), static_cast<std::int64_t>(c.not_json));
    EXPECT_EQ(dead.at("schema").as_int64(), static_cast<std::int64_t>(c.schema));
    EXPECT_EQ(dead.at("bad_timestamp").as_int64(), static_cast<std::int64_t>(c.bad_timestamp));
    EXPECT_EQ(dead.at("duplicate_key").as_int64(), static_cast<std::int64_t>(c.duplicate_key));
    EXPECT_EQ(m.at("duplicates").as_int64(), static_cast<std::int64_t>(c.duplicates));
    EXPECT_EQ(m.at("delivered").as_int64(), static_cast<std::int64_t>(c.delivered));
    EXPECT_EQ(m.at("valid").as_int64(), static_cast<std::int64_t>(c.delivered + c.duplicates));
    EXPECT_EQ(m.at("generated").as_int64(), 700);
    EXPECT_EQ(m.at("filtered_server_side").as_int64() + m.at("delivered").as_int64() +
                  dead.at("schema").as_int64() + dead.at("bad_timestamp").as_int64() +
                  dead.at("duplicate_key").as_int64(),
              700);
    // Every kind of fault happened, so the equalities above mean something.
    EXPECT_GT(c.not_json, 0u);
    EXPECT_GT(c.schema, 0u);
    EXPECT_GT(c.bad_timestamp, 0u);
    EXPECT_GT(c.duplicate_key, 0u);
    EXPECT_GT(c.duplicates, 0u);
    EXPECT_GT(c.control, 0u);
    EXPECT_GT(m.at("filtered_server_side").as_int64(), 0);
    EXPECT_EQ(emu.stats().messages_sent, c.messages);
}

TEST(EmulatorTest, GeneratorIsDeterministicPerSeed) {
    const EmulatorOptions o = faulty_options();
    const StreamFilter none;
    auto all = [](const EmulatorOptions& opts, const StreamFilter& f) {
        Generator g(opts, f);
        std::vector<std::string> out;
        while (auto m = g.next()) {
            out.push_back(render(*m, "sub"));
        }
        return out;
    };
    const auto a = all(o, none);
    EXPECT_EQ(a, all(o, none));
    EmulatorOptions other = o;
    other.seed = 8;
    EXPECT_NE(a, all(other, none));
    EXPECT_EQ(queue_ids(7, 3), queue_ids(7, 3));
    EXPECT_NE(queue_ids(7, 3), queue_ids(8, 3));
    // With no filter and no faults every generated event is delivered.
    EmulatorOptions clean;
    clean.events = 333;
    const Manifest m = Generator::dry_run(clean, none);
    EXPECT_EQ(m.delivered, 333u);
    EXPECT_EQ(m.events, 333u);
    EXPECT_EQ(m.filtered_server_side, 0u);
    EXPECT_EQ(m.messages, 7u + m.control_messages);
}

std::string make_tls_files(const TempDir& dir) {
    const std::string d = dir.file("");
    write_file(dir.file("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    const std::string curve = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -noenc";
    const std::string cmds =
        "cd '" + d + "' && openssl req -x509 " + curve +
        " -keyout ca.key -out ca.pem -days 2 -subj /CN=emulator-test-ca && openssl req " + curve +
        " -keyout server.key -out server.csr -subj /CN=localhost && openssl x509 -req -in "
        "server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile "
        "ext.cnf";
    const std::string quiet = "(" + cmds + ") >/dev/null 2>&1";
    if (std::system(quiet.c_str()) != 0) {
        return {};
    }
    return d;
}

TEST(EmulatorTest, ServesHttpsAndWssWithSelfSignedCa) {
    TempDir dir;
    ASSERT_FALSE(make_tls_files(dir).empty()) << "openssl failed";
    write_file(dir.file("replay.jsonl"), "first\nsecond\n");
    EmulatorOptions o;
    o.replay_file = dir.file("replay.jsonl");
    o.tls_cert = dir.file("server.pem");
    o.tls_key = dir.file("server.key");
    Emulator emu(o);
    emu.start();
    const std::string origin = emu.origin();
    ASSERT_EQ(origin.rfind("https://127.0.0.1:", 0), 0u);
    const std::string ca = dir.file("ca.pem");
    const std::string token = get_token(origin, ca);
    auto r = ws_read(origin, stream_target(token), ca);
    EXPECT_EQ(r.handshake_status, 101) << r.error;
    EXPECT_EQ(r.messages, (std::vector<std::string>{"first", "second"}));
    EXPECT_EQ(r.close_code, 1000);
    // A client that does not trust the CA fails the TLS handshake.
    auto untrusted = test::http_request("POST", origin, "/oauth/token");
    EXPECT_EQ(untrusted.status, 0);
}

}  // namespace
}  // namespace gstream::emulator
