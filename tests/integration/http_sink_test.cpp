// The HTTP sink against a loopback server that fails, stalls and answers 429 on purpose
// (support/fake_genesys_server: recorded requests with their arrival times), first the sink on
// its own, then the real binary end to end (emulator -> genesys-stream run -> server).
#include "sink/http/http_sink.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dlq/dead_letter_queue.hpp"
#include "pipeline/decoder.hpp"
#include "sink/format/event_format.hpp"
#include "sink/http/http_formatter.hpp"
#include "support/fake_genesys_server.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using sink::SinkResult;
using sink::http::HttpSink;
using sink::http::HttpSinkConfig;

constexpr const char* kPath = "/ingest";

// A batch of `n` envelope events with ids e1..en, kept alive with their message.
struct Batch {
    std::vector<core::Event> events;
    std::vector<std::string> ids;
};

Batch make_batch(int n, int first = 1) {
    std::string payload = R"({"subscriptionId":"s","events":[)";
    Batch b;
    for (int i = first; i < first + n; ++i) {
        const std::string id = "e" + std::to_string(i);
        payload +=
            (i != first ? "," : "") + std::string(R"({"id":")") + id +
            R"(","timestamp":"2026-11-30T10:15:02.5Z","eventType":"acd.start","data":{"conversationId":"c)" +
            std::to_string(i) + R"(","queueId":"q1"}})";
        b.ids.push_back(id);
    }
    payload += "]}";
    pipeline::EnvelopeDecoder decoder;
    auto m = std::make_shared<core::Message>();
    m->payload = payload;
    pipeline::DecodeOutput out;
    decoder.decode(std::move(m), out);
    b.events = std::move(out.events);
    EXPECT_EQ(b.events.size(), static_cast<std::size_t>(n));
    return b;
}

std::string native_line(int i) {
    const std::string n = std::to_string(i);
    return R"({"id":"e)" + n +
           R"(","eventType":"acd.start","eventTime":"2026-11-30T10:15:02.500Z","queueId":"q1",)"
           R"("conversationId":"c)" +
           n + R"(","data":{"conversationId":"c)" + n + R"(","queueId":"q1"}})";
}

HttpSinkConfig sink_config(const FakeGenesysServer& server) {
    HttpSinkConfig c;
    c.url = server.origin() + kPath;
    c.connect_timeout = 2000ms;
    c.request_timeout = 2000ms;
    return c;
}

ScriptedResponse ok() {
    return {.status = 200, .body = "{}", .keep_alive = true};
}

TEST(HttpSinkServer, NdjsonBodyAndHeadersExactlyOnOneKeptAliveConnection) {
    FakeGenesysServer server;
    server.set_default_response_for(kPath, ok());
    HttpSinkConfig c = sink_config(server);
    c.headers = {{"Authorization", "Bearer abc"}, {"X-Team", "blue"}};
    HttpSink sink(c);
    const Batch first = make_batch(2);
    const Batch second = make_batch(1, 3);
    ASSERT_EQ(sink.write_batch(first.events), SinkResult::kOk) << sink.last_error();
    ASSERT_EQ(sink.write_batch(second.events), SinkResult::kOk) << sink.last_error();

    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 2u);
    const RecordedRequest& r = requests[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/ingest");
    EXPECT_EQ(r.body, native_line(1) + "\n" + native_line(2) + "\n");
    EXPECT_EQ(r.headers.at("content-type"), "application/x-ndjson");
    EXPECT_EQ(r.headers.at("idempotency-key"), sink::http::idempotency_key(first.ids));
    EXPECT_EQ(r.headers.at("authorization"), "Bearer abc");
    EXPECT_EQ(r.headers.at("x-team"), "blue");
    EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size()));
    EXPECT_EQ(r.headers.count("connection"), 0u);  // HTTP/1.1: keep-alive by default
    EXPECT_EQ(requests[1].body, native_line(3) + "\n");
    EXPECT_EQ(requests[1].headers.at("idempotency-key"), sink::http::idempotency_key(second.ids));
    EXPECT_EQ(requests[1].connection, requests[0].connection);  // the connection was reused
}

TEST(HttpSinkServer, JsonArrayBodyExactly) {
    FakeGenesysServer server;
    server.set_default_response_for(kPath, ok());
    HttpSinkConfig c = sink_config(server);
    c.framing = sink::http::Framing::kJsonArray;
    HttpSink sink(c);
    const Batch batch = make_batch(3);
    ASSERT_EQ(sink.write_batch(batch.events), SinkResult::kOk) << sink.last_error();
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].body,
              "[" + native_line(1) + "," + native_line(2) + "," + native_line(3) + "]");
    EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
}

// CloudEvents through the sink (docs/sinks.md, "Formats"): a structured batch, then binary mode
// with one event per request and the attributes as ce- headers.
TEST(HttpSinkServer, CloudEventsBatchAndBinaryModeCarryTheDocumentedAttributes) {
    FakeGenesysServer server;
    server.set_default_response_for(kPath, ok());
    HttpSinkConfig c = sink_config(server);
    c.format = sink::format::Format::kCloudEvents;
    c.framing = sink::http::Framing::kCloudEventsBatch;
    {
        HttpSink sink(c);
        ASSERT_EQ(sink.write_batch(make_batch(2).events), SinkResult::kOk) << sink.last_error();
    }
    c.format = sink::format::Format::kCloudEventsBinary;
    c.framing = sink::http::Framing::kNdjson;
    {
        HttpSink sink(c);
        ASSERT_EQ(sink.write_batch(make_batch(2, 3).events), SinkResult::kOk) << sink.last_error();
    }
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 3u);
    const auto structured = [](int i) {
        const std::string n = std::to_string(i);
        return R"({"specversion":"1.0","id":"e)" + n +
               R"(","source":"genesys-cloud://mypurecloud.com/interaction.lifecycle",)"
               R"("type":"com.genesys.cloud.acd.start","time":"2026-11-30T10:15:02.500Z",)"
               R"("subject":"c)" + n + R"(","datacontenttype":"application/json","partitionkey":"c)" +
               n + R"(","data":{"conversationId":"c)" + n + R"(","queueId":"q1"}})";
    };
    EXPECT_EQ(requests[0].body, "[" + structured(1) + "," + structured(2) + "]");
    EXPECT_EQ(requests[0].headers.at("content-type"), "application/cloudevents-batch+json");
    for (int k = 1; k <= 2; ++k) {
        const RecordedRequest& r = requests[static_cast<std::size_t>(k)];
        const std::string n = std::to_string(k + 2);
        EXPECT_EQ(r.body, R"({"conversationId":"c)" + n + R"(","queueId":"q1"})");
        EXPECT_EQ(r.headers.at("content-type"), "application/json");
        EXPECT_EQ(r.headers.at("ce-specversion"), "1.0");
        EXPECT_EQ(r.headers.at("ce-id"), "e" + n);
        EXPECT_EQ(r.headers.at("ce-type"), "com.genesys.cloud.acd.start");
        EXPECT_EQ(r.headers.at("ce-subject"), "c" + n);
        EXPECT_EQ(r.headers.at("ce-partitionkey"), "c" + n);
        EXPECT_EQ(r.headers.count("ce-time"), 1u);
        EXPECT_EQ(r.headers.count("ce-source"), 1u);
    }
}

TEST(HttpSinkServer, A500IsARetryAndTheResendCarriesTheSameIdempotencyKey) {
    FakeGenesysServer server;
    server.push_response_for(kPath, {.status = 500, .body = "upstream down"});
    server.set_default_response_for(kPath, ok());
    HttpSink sink(sink_config(server));
    const Batch batch = make_batch(2);
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kRetry);
    EXPECT_EQ(sink.last_error(), "http 500: upstream down");
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kOk) << sink.last_error();
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].headers.at("idempotency-key"), requests[1].headers.at("idempotency-key"));
    EXPECT_EQ(requests[0].body, requests[1].body);
    // The 500 closed its connection; the sink opened a new one.
    EXPECT_NE(requests[0].connection, requests[1].connection);
}

TEST(HttpSinkServer, A429WithRetryAfterIsHonouredBeforeTheRetry) {
    FakeGenesysServer server;
    server.push_response_for(kPath, {.status = 429,
                                     .headers = {{"Retry-After", "1"}},
                                     .body = "slow down",
                                     .keep_alive = true});
    server.set_default_response_for(kPath, ok());
    HttpSink sink(sink_config(server));
    const Batch batch = make_batch(1);
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kRetry);
    EXPECT_EQ(sink.last_error(), "http 429: slow down (waited Retry-After 1000 ms)");
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kOk) << sink.last_error();
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_GE(requests[1].at - requests[0].at, 1s);  // the server's own clock
    EXPECT_EQ(requests[0].headers.at("idempotency-key"), requests[1].headers.at("idempotency-key"));
}

TEST(HttpSinkServer, RetryAfterIsCutToTheConfiguredMaximum) {
    FakeGenesysServer server;
    server.push_response_for(kPath, {.status = 503, .headers = {{"Retry-After", "3600"}}});
    HttpSinkConfig c = sink_config(server);
    c.max_retry_after = 50ms;
    HttpSink sink(c);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(sink.write_batch(make_batch(1).events), SinkResult::kRetry);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
    EXPECT_EQ(sink.last_error(), "http 503 (waited Retry-After 50 ms)");
}

TEST(HttpSinkServer, A400RejectsTheWholeBatchWithStatusAndBodyStart) {
    FakeGenesysServer server;
    server.push_response_for(
        kPath,
        {.status = 400, .body = R"({"error":"schema","detail":")" + std::string(400, 'x') + "\"}"});
    HttpSink sink(sink_config(server));
    EXPECT_EQ(sink.write_batch(make_batch(2).events), SinkResult::kReject);
    EXPECT_EQ(
        sink.last_error(),
        "http 400: " + (R"({"error":"schema","detail":")" + std::string(400, 'x')).substr(0, 256) +
            "...");
    EXPECT_TRUE(sink.take_rejected().empty());
}

TEST(HttpSinkServer, AStalledServerIsATimeoutThenARetry) {
    FakeGenesysServer server;
    server.push_response_for(kPath, {.status = 200, .delay_ms = 5000});
    server.set_default_response_for(kPath, ok());
    HttpSinkConfig c = sink_config(server);
    c.request_timeout = 300ms;
    HttpSink sink(c);
    const Batch batch = make_batch(1);
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kRetry);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 4s);
    EXPECT_NE(sink.last_error().find("failed: "), std::string::npos) << sink.last_error();
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kOk) << sink.last_error();
    EXPECT_EQ(server.requests(kPath).size(), 2u);
}

TEST(HttpSinkServer, ServerDownAtStartThenUpLosesNothing) {
    std::uint16_t port = 0;
    {
        FakeGenesysServer probe;  // a free port, closed again
        port = probe.port();
    }
    HttpSinkConfig c;
    c.url = "http://127.0.0.1:" + std::to_string(port) + kPath;
    c.connect_timeout = 2000ms;
    HttpSink sink(c);
    const Batch batch = make_batch(3);
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kRetry);
    EXPECT_NE(sink.last_error().find("failed: "), std::string::npos);

    FakeGenesysServer server(FakeServerOptions{.port = port});
    server.set_default_response_for(kPath, ok());
    EXPECT_EQ(sink.write_batch(batch.events), SinkResult::kOk) << sink.last_error();
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].body,
              native_line(1) + "\n" + native_line(2) + "\n" + native_line(3) + "\n");
}

TEST(HttpSinkServer, AConnectionTheServerClosedIsReopened) {
    FakeGenesysServer server;
    server.set_default_response_for(kPath, {.status = 204});  // Connection: close each time
    HttpSink sink(sink_config(server));
    for (int i = 1; i <= 3; ++i) {
        ASSERT_EQ(sink.write_batch(make_batch(1, i).events), SinkResult::kOk) << sink.last_error();
    }
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_NE(requests[0].connection, requests[1].connection);
    EXPECT_NE(requests[1].connection, requests[2].connection);
}

TEST(HttpSinkServer, AKeptAliveConnectionClosedWhileIdleIsReplacedWithoutARetry) {
    FakeGenesysServer server;
    server.push_response_for(kPath, {.status = 200, .keep_alive = true, .drop_after = true});
    server.set_default_response_for(kPath, ok());
    HttpSink sink(sink_config(server));
    ASSERT_EQ(sink.write_batch(make_batch(1, 1).events), SinkResult::kOk) << sink.last_error();
    // The server closed its end after answering "keep-alive"; the next batch finds the
    // connection closed (on write or on read), reconnects and sends it once more.
    ASSERT_EQ(sink.write_batch(make_batch(1, 2).events), SinkResult::kOk) << sink.last_error();
    const auto requests = server.requests(kPath);
    ASSERT_GE(requests.size(), 2u);
    EXPECT_EQ(requests.back().body, native_line(2) + "\n");
    EXPECT_NE(requests.front().connection, requests.back().connection);
}

TEST(HttpSinkServer, ABatchOverMaxBatchBytesGoesAsSeveralRequestsEachWithItsKey) {
    FakeGenesysServer server;
    server.set_default_response_for(kPath, ok());
    HttpSinkConfig c = sink_config(server);
    c.max_batch_bytes = native_line(1).size() * 2 + 2;  // two lines per request
    HttpSink sink(c);
    const Batch batch = make_batch(5);
    ASSERT_EQ(sink.write_batch(batch.events), SinkResult::kOk) << sink.last_error();
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[0].body, native_line(1) + "\n" + native_line(2) + "\n");
    EXPECT_EQ(requests[2].body, native_line(5) + "\n");
    EXPECT_EQ(requests[0].headers.at("idempotency-key"),
              sink::http::idempotency_key(std::vector<std::string>{"e1", "e2"}));
    EXPECT_EQ(requests[2].headers.at("idempotency-key"),
              sink::http::idempotency_key(std::vector<std::string>{"e5"}));
}

TEST(HttpSinkServer, ARejectedPartOfASplitBatchIsReportedEventByEvent) {
    FakeGenesysServer server;
    server.push_response_for(kPath, ok());
    server.push_response_for(kPath, {.status = 413, .body = "too big", .keep_alive = true});
    server.set_default_response_for(kPath, ok());
    HttpSinkConfig c = sink_config(server);
    c.max_batch_bytes = native_line(1).size() * 2 + 2;
    HttpSink sink(c);
    ASSERT_EQ(sink.write_batch(make_batch(5).events), SinkResult::kOk) << sink.last_error();
    const auto rejected = sink.take_rejected();
    ASSERT_EQ(rejected.size(), 2u);
    EXPECT_EQ(rejected[0].index, 2u);
    EXPECT_EQ(rejected[1].index, 3u);
    EXPECT_EQ(rejected[0].detail, "http 413: too big");
    EXPECT_EQ(server.requests(kPath).size(), 3u);
}

TEST(HttpSinkServer, HttpsVerifiesTheServerAgainstCaFile) {
    const TestCerts certs = make_test_certs();
    FakeGenesysServer server(FakeServerOptions{.cert_file = certs.server_cert,
                                               .key_file = certs.server_key,
                                               .default_responses = {{kPath, ok()}}});
    ASSERT_TRUE(server.origin().starts_with("https://"));
    HttpSinkConfig c = sink_config(server);
    {
        HttpSink untrusted(c);  // system roots only: the test CA is unknown
        EXPECT_EQ(untrusted.write_batch(make_batch(1).events), SinkResult::kRetry);
        EXPECT_NE(untrusted.last_error().find("failed: "), std::string::npos);
    }
    {
        c.ca_file = certs.other_ca_cert;
        HttpSink wrong_ca(c);
        EXPECT_EQ(wrong_ca.write_batch(make_batch(1).events), SinkResult::kRetry);
    }
    c.ca_file = certs.ca_cert;
    HttpSink trusted(c);
    ASSERT_EQ(trusted.write_batch(make_batch(2).events), SinkResult::kOk) << trusted.last_error();
    ASSERT_EQ(trusted.write_batch(make_batch(1, 3).events), SinkResult::kOk);
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].body, native_line(1) + "\n" + native_line(2) + "\n");
    EXPECT_EQ(requests[0].connection, requests[1].connection);  // TLS session kept alive
    HttpSinkConfig unverified = sink_config(server);
    unverified.tls_verify = false;
    HttpSink insecure(unverified);
    EXPECT_EQ(insecure.write_batch(make_batch(1).events), SinkResult::kOk);
}

// ---- the real binary ---------------------------------------------------------------------

std::string envelope_line(int first, int n) {
    std::string s = R"({"stream":"interaction.lifecycle","subscriptionId":"s1","events":[)";
    for (int i = first; i < first + n; ++i) {
        s += (i != first ? "," : "") + std::string(R"({"id":"ev-)") + std::to_string(i) +
             R"(","timestamp":"2026-11-30T10:00:0)" + std::to_string(i % 10) +
             R"(.000Z","eventType":"acd.start","data":{"conversationId":"c)" + std::to_string(i) +
             R"(","eventTime":1764496800000,"queueId":"q1","mediaType":"VOICE"}})";
    }
    return s + "]}";
}

std::string write_http_config(const TempDir& dir,
                              const std::string& base_url,
                              const std::string& url,
                              const std::string& extra = "") {
    const std::string yaml =
        "genesys:\n  base_url: " + base_url +
        "\n  client_id: demo\n  client_secret: demo\n"
        "source:\n  protocol: envelope\n  reconnect_initial_ms: 50\n  reconnect_max_ms: 500\n"
        "pipeline:\n  batch: { max_events: 100, max_bytes: 1048576, max_age_ms: 200 }\n"
        "  allowed_lateness_ms: 2000\n"
        "sinks:\n"
        "  - type: http\n"
        "    url: " +
        url +
        "\n"
        "    framing: json_array\n"
        "    request_timeout_ms: 2000\n"
        "    headers:\n"
        "      Authorization: Bearer sup3r-s3cret-t0ken\n"
        "dead_letter:\n  path: " +
        dir.file("dlq.sqlite3") + "\n" + "data_dir: " + dir.path() + "\n" +
        "logging:\n  level: debug\n" + extra;
    const std::string path = dir.file("config.yaml");
    write_file(path, yaml);
    return path;
}

EmulatorProcess start_replay(const TempDir& dir, int events) {
    write_file(dir.file("replay.jsonl"), envelope_line(1, events) + "\n");
    return start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                          dir.file("emulator.log"));
}

TEST(HttpSinkDaemon, EndToEndA500ThenDeliveredOnceWithTheSameKey) {
    TempDir dir;
    FakeGenesysServer server;
    server.push_response_for(kPath, {.status = 500, .body = "try again"});
    server.set_default_response_for(kPath, ok());
    auto emulator = start_replay(dir, 5);
    const auto r = run_consumer(write_http_config(dir, emulator.origin(), server.origin() + kPath),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary) << r.log;
    EXPECT_EQ((*r.summary)["delivered"], 5);
    EXPECT_EQ((*r.summary)["dead_lettered"], 0);
    const auto requests = server.requests(kPath);
    ASSERT_EQ(requests.size(), 2u) << r.log;
    EXPECT_EQ(requests[0].body, requests[1].body);
    EXPECT_EQ(requests[0].headers.at("idempotency-key"), requests[1].headers.at("idempotency-key"));
    EXPECT_EQ(requests[1].headers.at("authorization"), "Bearer sup3r-s3cret-t0ken");
    EXPECT_EQ(requests[1].headers.at("content-type"), "application/json");
    EXPECT_TRUE(requests[1].body.starts_with("[{") && requests[1].body.ends_with("}]"));
    for (int i = 1; i <= 5; ++i) {
        EXPECT_NE(requests[1].body.find(R"({"id":"ev-)" + std::to_string(i) + "\""),
                  std::string::npos);
    }
    EXPECT_EQ(r.log.find("sup3r-s3cret-t0ken"), std::string::npos);  // not even at debug
}

TEST(HttpSinkDaemon, A400DeadLettersTheWholeBatchWithStatusAndBody) {
    TempDir dir;
    FakeGenesysServer server;
    server.set_default_response_for(kPath, {.status = 400, .body = R"({"error":"unknown field"})"});
    auto emulator = start_replay(dir, 3);
    const auto r = run_consumer(write_http_config(dir, emulator.origin(), server.origin() + kPath),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary) << r.log;
    // The pipeline handed the 3 events to the sink's cursor; the sink refused all 3.
    EXPECT_EQ((*r.summary)["delivered"], 3);
    EXPECT_NE(r.log.find("summary sink=http delivered=0 rejected=3"), std::string::npos) << r.log;
    auto queue = dlq::DeadLetterQueue::open(dir.file("dlq.sqlite3"));
    const auto letters = queue.list({});
    ASSERT_EQ(letters.size(), 3u);
    for (const auto& d : letters) {
        EXPECT_EQ(d.stage, "sink");
        EXPECT_EQ(d.reason, "sink_rejected");
        EXPECT_NE(d.detail.find(R"(http 400: {"error":"unknown field"})"), std::string::npos)
            << d.detail;
    }
    EXPECT_EQ(server.requests(kPath).size(), 1u);
}

std::string file_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(HttpSinkDaemon, ServerDownAtStartThenUpLosesNothing) {
    TempDir dir;
    std::uint16_t port = 0;
    {
        FakeGenesysServer probe;  // a free port, closed again
        port = probe.port();
    }
    auto emulator = start_replay(dir, 4);
    const std::string log = dir.file("consumer.log");
    // Brings the server up once the daemon has reported a failed write (polled, with a deadline).
    std::unique_ptr<FakeGenesysServer> server;
    std::thread starter([&] {
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (file_text(log).find("sink write failed, retrying") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        server = std::make_unique<FakeGenesysServer>(
            FakeServerOptions{.port = port, .default_responses = {{kPath, ok()}}});
    });
    const auto r =
        run_consumer(write_http_config(dir, emulator.origin(),
                                       "http://127.0.0.1:" + std::to_string(port) + kPath,
                                       "shutdown_timeout_ms: 60000\n"),
                     log);
    starter.join();
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary) << r.log;
    EXPECT_EQ((*r.summary)["delivered"], 4);
    EXPECT_EQ((*r.summary)["dead_lettered"], 0);
    EXPECT_NE(r.log.find("sink write failed, retrying"), std::string::npos);
    ASSERT_TRUE(server);
    std::string received;
    for (const auto& req : server->requests(kPath))
        received += req.body;
    for (int i = 1; i <= 4; ++i) {
        EXPECT_NE(received.find(R"({"id":"ev-)" + std::to_string(i) + "\""), std::string::npos)
            << received;
    }
}

TEST(HttpSinkDaemon, CheckConfigNamesTheKeyAndNeverPrintsTheAuthorizationHeader) {
    TempDir dir;
    const std::string head = "genesys: {client_id: a, client_secret: b}\nsinks:\n  - type: http\n";
    write_file(dir.file("bad.yaml"), head + "    url: ftp://collector.example.com/x\n");
    const auto [bad_code, bad_out] =
        run_shell(GSTREAM_BINARY + " check-config " + dir.file("bad.yaml") + " 2>&1");
    EXPECT_NE(bad_code, 0);
    EXPECT_NE(bad_out.find("sink 'http' (line 3): key 'url': 'ftp://collector.example.com/x' is "
                           "not an absolute http:// or https:// URL"),
              std::string::npos)
        << bad_out;

    write_file(dir.file("ok.yaml"), head +
                                        "    url: https://collector.example.com/x\n"
                                        "    headers: {Authorization: Bearer n0t-for-logs}\n");
    const auto [code, out] =
        run_shell(GSTREAM_BINARY + " check-config --print " + dir.file("ok.yaml") + " 2>&1");
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("Authorization: \"***\""), std::string::npos) << out;
    EXPECT_EQ(out.find("n0t-for-logs"), std::string::npos) << out;
}

}  // namespace
}  // namespace gstream::testing
