// End-to-end: the emulator and the consumer as real processes over loopback sockets.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/json_document.hpp"
#include "core/time.hpp"
#include "dlq/dead_letter_queue.hpp"
#include "emulator/emulator.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;

struct ConfigOptions {
    std::string base_url;
    std::string extra_source;    // YAML lines under source:
    std::string extra_pipeline;  // YAML lines under pipeline:
    std::string metrics_listen;
    std::string protocol = "envelope";
    std::string batch = "{ max_events: 100, max_bytes: 1048576, max_age_ms: 500 }";
    std::string sinks;  // YAML lines under sinks: (default: a file sink on events.jsonl)
};

std::string write_config(const TempDir& dir, const ConfigOptions& o) {
    std::string yaml = "genesys:\n  base_url: " + o.base_url +
                       "\n  client_id: demo\n  client_secret: demo\n"
                       "source:\n  protocol: " + o.protocol +
                       "\n  reconnect_initial_ms: 50\n  reconnect_max_ms: 500\n" + o.extra_source +
                       "pipeline:\n  batch: " + o.batch + "\n" +
                       (o.extra_pipeline.empty() ? "  allowed_lateness_ms: 2000\n" : o.extra_pipeline) +
                       "sinks:\n" +
                       (o.sinks.empty() ? "  - { type: file, path: " + dir.file("events.jsonl") +
                                              ", fsync: never }\n"
                                        : o.sinks) +
                       "dead_letter:\n  path: " + dir.file("dlq.sqlite3") + "\n" +
                       "data_dir: " + dir.path() + "\n";
    if (!o.metrics_listen.empty()) {
        yaml += "metrics:\n  listen: " + o.metrics_listen + "\n";
    }
    const std::string path = dir.file("config.yaml");
    write_file(path, yaml);
    return path;
}

std::vector<std::string> dead_letter_reasons(const TempDir& dir) {
    auto queue = dlq::DeadLetterQueue::open(dir.file("dlq.sqlite3"));
    std::vector<std::string> reasons;
    for (const auto& d : queue.list({})) {
        reasons.push_back(d.reason);
    }
    std::sort(reasons.begin(), reasons.end());
    return reasons;
}

std::string ev(const std::string& id, const std::string& ts, const std::string& data,
               const std::string& type = "acd.start") {
    return R"({"id":")" + id + R"(","timestamp":)" + ts + R"(,"eventType":")" + type +
           R"(","data":)" + data + "}";
}

std::string body(const std::string& conversation, const std::string& extra = "") {
    return R"({"conversationId":")" + conversation +
           R"(","eventTime":1764496800000,"queueId":"q1","mediaType":"VOICE")" + extra + "}";
}

std::string envelope(const std::vector<std::string>& events) {
    std::string s = R"({"stream":"interaction.lifecycle","subscriptionId":"s1","events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        s += (i ? "," : "") + events[i];
    }
    return s + "]}";
}

TEST(Consumer, EveryMessageRowAndEventReasonWithValidSiblingsDelivered) {
    TempDir dir;
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    const std::vector<std::string> lines = {
        envelope({
            ev("a", R"("2026-11-30T10:00:00.000Z")", body("c1")),
            ev("b", R"("2026-02-30T10:00:00Z")", body("c2")),                 // impossible date
            ev("c", R"("2026-11-30T10:00:00")", body("c3")),                  // no offset
            ev("d", R"("2026-11-30T10:00:00Z")", R"({"conversationId":"c4","eventTime":1,"x":1,"x":2})"),
            ev("e", R"("2026-11-30T10:00:00Z")", R"({"conversationId":"c5","eventTime":99999999999999999999})"),
            ev("f", R"("2026-11-30T10:00:00Z")", R"({"conversationId":"c6","eventTime":1,"n":)" + deep + "}"),
            ev("g", R"("2026-11-30T10:00:01Z")", body("c\\u0000g")),
            ev("h", R"({"not":"a string"})", body("c8")),                     // format on an object
            ev("i", R"("2026-11-30T10:00:00Z")", R"({"conversationId":"c9","eventTime":"soon"})"),
            ev("j", R"("2026-11-30T10:00:02Z")", body("c10", R"(,"big":123456789012345678901234567890)")),
        }),
        "not json at all",
        "[1,2]",
        R"({"events":[{"id":"x"}]})",
        R"({"stream":"interaction.lifecycle"})",
        R"({"subscriptionId":"s1"})",
        envelope({ev("a", R"("2026-11-30T10:00:00.000Z")", body("c1")),
                  ev("k", R"("2026-11-30T11:00:03.5+01:00")", body("c11"))}),
    };
    std::string replay;
    for (const auto& l : lines) {
        replay += l + "\n";
    }
    write_file(dir.file("replay.jsonl"), replay);
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                                   dir.file("emulator.log"));
    const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin()}),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary) << r.log;
    const Summary& s = *r.summary;
    EXPECT_EQ(s["received"], 16);
    EXPECT_EQ(s["delivered"], 4);
    EXPECT_EQ(s["dead_lettered"], 11);
    EXPECT_EQ(s["filtered"], 0);
    EXPECT_EQ(s["duplicates"], 1);
    EXPECT_EQ(s["control"], 1);
    EXPECT_EQ(dead_letter_reasons(dir),
              (std::vector<std::string>{"bad_envelope", "bad_envelope", "bad_timestamp",
                                        "bad_timestamp", "duplicate_key", "not_json", "not_json",
                                        "number_out_of_range", "schema", "schema", "too_deep"}));
    const auto out = read_lines(dir.file("events.jsonl"));
    ASSERT_EQ(out.size(), 4U);
    EXPECT_NE(out[0].find(R"("id":"a")"), std::string::npos);
    EXPECT_NE(out[1].find(R"("id":"g")"), std::string::npos);
    EXPECT_NE(out[1].find(R"("conversationId":"c\u0000g")"), std::string::npos) << out[1];
    EXPECT_NE(out[2].find(R"("big":123456789012345678901234567890)"), std::string::npos) << out[2];
    EXPECT_NE(out[3].find(R"("id":"k","eventType":"acd.start","eventTime":"2026-11-30T10:00:03.500Z")"),
              std::string::npos)
        << out[3];
}

TEST(Consumer, OrdersByInstantAcrossBatchesAndFlagsLateEvents) {
    TempDir dir;
    // Timestamps whose string order differs from their instant order.
    const std::vector<std::string> lines = {
        envelope({ev("e3", R"("2026-11-30T10:00:03.000001Z")", body("c")),
                  ev("e1", R"("2026-11-30T11:00:01+01:00")", body("c")),
                  ev("e2", R"("2026-11-30T09:30:02.5-00:30")", body("c"))}),
        envelope({ev("e5", R"("2026-11-30T10:00:05Z")", body("c")),
                  ev("e4", R"("2026-11-30T10:00:04.25Z")", body("c"))}),
        envelope({ev("e9", R"("2026-11-30T10:00:20Z")", body("c"))}),
        envelope({ev("late", R"("2026-11-30T10:00:06Z")", body("c"))}),  // watermark is 10:00:10
    };
    std::string replay;
    for (const auto& l : lines) {
        replay += l + "\n";
    }
    write_file(dir.file("replay.jsonl"), replay);
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                                   dir.file("emulator.log"));
    const auto r = run_consumer(
        write_config(dir, {.base_url = emulator.origin(),
                           .extra_pipeline = "  allowed_lateness_ms: 10000\n",
                           .batch = "{ max_events: 2, max_bytes: 1048576, max_age_ms: 60000 }"}),
        dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    std::vector<std::string> ids;
    for (const auto& line : read_lines(dir.file("events.jsonl"))) {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(line)) << line;
        ids.push_back(std::string(doc.root().find("id").get_string()) +
                      (doc.root().find("late").valid() ? "!" : ""));
    }
    // e1..e5 are held until the watermark passes them (e9 moves it to 10:00:10); "late" arrives
    // below it and is delivered at once, flagged; e9 is released at the end of the stream.
    EXPECT_EQ(ids, (std::vector<std::string>{"e1", "e2", "e3", "e4", "e5", "late!", "e9"}));
}

struct ManifestCounts {
    long long delivered = 0, dead = 0, duplicates = 0, control = 0, received = 0;
};

ManifestCounts read_manifest(const std::string& path) {
    core::JsonDocument doc;
    EXPECT_TRUE(doc.parse(read_file(path))) << path;
    ManifestCounts m;
    const auto root = doc.root();
    m.delivered = root.find("delivered").get_int64();
    m.duplicates = root.find("duplicates").get_int64();
    m.control = root.find("control_messages").get_int64();
    root.find("dead_lettered").for_each_member(
        [&](std::string_view, const core::JsonValue& v) { m.dead += v.get_int64(); });
    m.received = m.delivered + m.dead + m.duplicates;
    return m;
}

void expect_summary_matches_manifest(const RunResult& r, const ManifestCounts& m) {
    ASSERT_TRUE(r.summary) << r.log;
    const Summary& s = *r.summary;
    EXPECT_EQ(s["delivered"], m.delivered);
    EXPECT_EQ(s["dead_lettered"], m.dead);
    EXPECT_EQ(s["duplicates"], m.duplicates);
    EXPECT_EQ(s["filtered"], 0);
    EXPECT_EQ(s["received"], m.received);
    EXPECT_EQ(s["control"], m.control);
}

TEST(Consumer, GeneratedStreamWithFaultsAndDropsMatchesTheManifest) {
    TempDir dir;
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--events", "3000", "--events-per-message", "25", "--seed", "11",
         "--queues", "8", "--malformed-rate", "0.01", "--schema-invalid-rate", "0.02",
         "--bad-timestamp-rate", "0.01", "--duplicate-key-rate", "0.01", "--duplicate-rate", "0.02",
         "--max-out-of-order-ms", "1500", "--drop-after", "20", "--manifest", dir.file("manifest.json")},
        dir.file("emulator.log"));
    const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin()}),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    const ManifestCounts m = read_manifest(dir.file("manifest.json"));
    EXPECT_GT(m.delivered, 2000);
    expect_summary_matches_manifest(r, m);
    EXPECT_EQ(static_cast<long long>(read_lines(dir.file("events.jsonl")).size()), m.delivered);
    EXPECT_EQ(static_cast<long long>(dead_letter_reasons(dir).size()), m.dead);
    EXPECT_NE(r.log.find("reconnect"), std::string::npos);  // the drops were survived
}

// Issue 15: stdout is for data. With a stdout sink and the admin server on, every line the daemon
// writes to stdout is an event (the admin address and the summary go to stderr).
TEST(Consumer, AStdoutSinkWritesOnlyEventsToStdout) {
    TempDir dir;
    auto emulator = start_emulator({"--protocol", "envelope", "--events", "500", "--seed", "5",
                                    "--malformed-rate", "0.02", "--manifest",
                                    dir.file("manifest.json")},
                                   dir.file("emulator.log"));
    const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin(),
                                                   .metrics_listen = "127.0.0.1:0",
                                                   .sinks = "  - { type: stdout }\n"}),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    const ManifestCounts m = read_manifest(dir.file("manifest.json"));
    expect_summary_matches_manifest(r, m);
    ASSERT_EQ(static_cast<long long>(r.stdout_lines.size()), m.delivered);
    std::set<std::string> ids;
    for (const std::string& line : r.stdout_lines) {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(line)) << line;
        ASSERT_TRUE(doc.root().find("id").is_string()) << line;
        ASSERT_TRUE(doc.root().find("data").is_object()) << line;
        ids.insert(std::string(doc.root().find("id").get_string()));
    }
    EXPECT_EQ(static_cast<long long>(ids.size()), m.delivered);
    EXPECT_NE(r.log.find("admin listening "), std::string::npos) << r.log;
}

// Issue 15: one daemon per data directory. A second one on the same directory stops at once with
// one line naming the first's pid (it used to start silently and share the log).
TEST(Consumer, ASecondDaemonOnTheSameDataDirStopsNamingTheFirstsPid) {
    TempDir dir;
    auto emulator = start_emulator({"--protocol", "envelope", "--events", "100000", "--rate", "50"},
                                   dir.file("emulator.log"));
    const std::string config =
        write_config(dir, {.base_url = emulator.origin(), .metrics_listen = "127.0.0.1:0"});
    ChildProcess first({GSTREAM_BINARY, "run", "--config", config}, {}, dir.file("first.log"));
    ASSERT_TRUE(first.wait_for_log_line("admin listening ", 30s)) << read_file(dir.file("first.log"));
    const auto second = run_consumer(config, dir.file("second.log"), 30s);
    EXPECT_EQ(second.exit_code, 2);  // a start-up error, like a bad configuration
    EXPECT_NE(second.log.find(fmt::format("data directory '{}' is in use by another "
                                          "genesys-stream (pid {})",
                                          dir.path(), first.pid())),
              std::string::npos)
        << second.log;
    first.signal(SIGTERM);
    EXPECT_EQ(first.wait(30s), 0) << read_file(dir.file("first.log"));
}

// A refused upgrade (401) gets a new token and is retried. Issue 16, defect 6: two in a row were
// fatal, naming a missing eventbridge:read scope, though they were transient.
TEST(Consumer, HandshakeUnauthorizedRefreshesTheTokenAndReconnects) {
    for (const char* refusals : {"1", "2"}) {
        SCOPED_TRACE(std::string("--handshake-401 ") + refusals);
        TempDir dir;
        auto emulator =
            start_emulator({"--protocol", "envelope", "--events", "300", "--seed", "3",
                            "--handshake-401", refusals, "--manifest", dir.file("manifest.json")},
                           dir.file("emulator.log"));
        const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin()}),
                                    dir.file("consumer.log"));
        ASSERT_EQ(r.exit_code, 0) << r.log;
        expect_summary_matches_manifest(r, read_manifest(dir.file("manifest.json")));
        EXPECT_NE(r.log.find("http_401"), std::string::npos) << r.log;
        EXPECT_EQ(r.log.find("eventbridge:read"), std::string::npos) << r.log;
    }
}

std::size_t lines_containing(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

// Issue 16, defect 1: against `emulate --protocol notifications --handshake-401 1000000` the
// consumer made 15,457 channels and as many tokens in 10 s, without backoff, and wrote 77,286
// log lines.
TEST(Consumer, RefusedNotificationUpgradesBackOffReuseTheTokenAndAreLoggedOnce) {
    TempDir dir;
    emulator::EmulatorOptions eo;
    eo.protocol = "notifications";
    eo.handshake_401_count = 1'000'000;
    emulator::Emulator emu(eo);
    emu.start();
    constexpr std::int64_t kInitialMs = 40;
    constexpr std::int64_t kMaxMs = 160;
    write_file(dir.file("config.yaml"),
               "genesys:\n  base_url: " + emu.origin() +
                   "\n  client_id: demo\n  client_secret: demo\n"
                   "source:\n  protocol: notifications\n"
                   "  queues: [11111111-1111-4111-8111-111111111111]\n"
                   "  reconnect_initial_ms: " + std::to_string(kInitialMs) +
                   "\n  reconnect_max_ms: " + std::to_string(kMaxMs) + "\n"
                   "sinks:\n  - { type: file, path: " + dir.file("events.jsonl") +
                   ", fsync: never }\n"
                   "dead_letter:\n  path: " + dir.file("dlq.sqlite3") + "\n"
                   "data_dir: " + dir.path() + "\n"
                   "metrics:\n  listen: 127.0.0.1:0\n");
    const auto started = std::chrono::steady_clock::now();
    ChildProcess consumer({GSTREAM_BINARY, "run", "--config", dir.file("config.yaml")}, {},
                          dir.file("consumer.log"));
    const auto line = consumer.wait_for_log_line("admin listening ", 30s);
    ASSERT_TRUE(line) << read_file(dir.file("consumer.log"));
    const std::string admin = line->substr(std::string("admin listening ").size());
    // Until the emulator has refused kRefused upgrades (a bounded wait on its own counter).
    constexpr std::uint64_t kRefused = 10;
    const auto deadline = started + 30s;
    while (emu.stats().handshakes_rejected < kRefused &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_GE(emu.stats().handshakes_rejected, kRefused);
    const auto ready = http_get(admin, "/readyz");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503);
    EXPECT_NE(ready->body.find("stream disconnected"), std::string::npos) << ready->body;
    consumer.signal(SIGTERM);
    EXPECT_EQ(consumer.wait(30s), 0);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    const emulator::Stats s = emu.stats();
    emu.stop();

    // The most upgrades the schedule allows in `elapsed`: the n-th retry waits at least half of
    // min(max, initial * 2^n), whatever the jitter draws.
    std::uint64_t allowed = 1;
    auto waited = std::chrono::milliseconds(0);
    for (std::int64_t ceiling = kInitialMs;; ceiling = std::min(kMaxMs, ceiling * 2)) {
        waited += std::chrono::milliseconds(ceiling / 2);
        if (waited > elapsed) {
            break;
        }
        ++allowed;
    }
    EXPECT_LE(s.handshakes_rejected, allowed);
    // One token for the whole run: a refused upgrade renews the channel, not the token.
    EXPECT_EQ(s.tokens_issued, 1u);
    // Each channel was dialled once (the last one may not have been dialled yet).
    EXPECT_GE(s.channels_created, s.handshakes_rejected);
    EXPECT_LE(s.channels_created, s.handshakes_rejected + 1);
    EXPECT_EQ(s.handshakes, 0u);

    // The repeated refusal is logged once (by the source and by the daemon), not per attempt.
    const std::string log = read_file(dir.file("consumer.log"));
    EXPECT_EQ(lines_containing(log, "reason=http_401"), 2u) << log;
    EXPECT_EQ(lines_containing(log, "reconnecting delay_ms="), 1u) << log;
    EXPECT_EQ(lines_containing(log, "created notification channel"), 1u) << log;
    EXPECT_EQ(lines_containing(log, "fetched an OAuth token"), 1u) << log;
}

TEST(Consumer, SubscriptionRateLimitHonoursRetryAfter) {
    TempDir dir;
    auto emulator = start_emulator({"--protocol", "envelope", "--events", "300", "--seed", "4",
                                    "--subscribe-429", "2", "--retry-after", "1", "--manifest",
                                    dir.file("manifest.json")},
                                   dir.file("emulator.log"));
    const auto started = std::chrono::steady_clock::now();
    const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin()}),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    expect_summary_matches_manifest(r, read_manifest(dir.file("manifest.json")));
    // Two 429s with Retry-After: 1 s each: the consumer waited at least that long.
    EXPECT_GE(std::chrono::steady_clock::now() - started, 2s);
}

TEST(Consumer, QueueAndStateFiltersApplyAndAreCounted) {
    TempDir dir;
    const std::vector<std::string> lines = {envelope({
        ev("q1-queued", R"("2026-11-30T10:00:00Z")", body("c1"), "acd.start"),
        ev("q2-queued", R"("2026-11-30T10:00:01Z")",
           R"({"conversationId":"c2","eventTime":1,"queueId":"q2"})", "acd.start"),
        ev("no-queue-ended", R"("2026-11-30T10:00:02Z")", R"({"conversationId":"c3","eventTime":1})",
           "customer.end"),
        ev("no-state", R"("2026-11-30T10:00:03Z")", R"({"conversationId":"c4","eventTime":1})",
           "customer.start"),
        ev("chat", R"("2026-11-30T10:00:04Z")",
           R"({"conversationId":"c5","eventTime":1,"queueId":"q1","mediaType":"CHAT"})", "acd.start"),
    })};
    write_file(dir.file("replay.jsonl"), lines[0] + "\n");
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                                   dir.file("emulator.log"));
    const auto r = run_consumer(
        write_config(dir, {.base_url = emulator.origin(),
                           .extra_source = "  queues: [q1]\n  states: [queued, ended]\n",
                           .extra_pipeline = "  allowed_lateness_ms: 2000\n  filters:\n"
                                             "    - { pointer: /data/mediaType, not_in: [CHAT] }\n"}),
        dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary);
    EXPECT_EQ((*r.summary)["delivered"], 2);
    EXPECT_EQ((*r.summary)["filtered"], 3);
    const auto out = read_lines(dir.file("events.jsonl"));
    ASSERT_EQ(out.size(), 2U);
    EXPECT_NE(out[0].find("q1-queued"), std::string::npos);
    EXPECT_NE(out[1].find("no-queue-ended"), std::string::npos);
}

TEST(Consumer, MetricsPassPromtoolAndReadinessFollowsTheStream) {
    TempDir dir;
    std::string replay;
    for (int i = 0; i < 40; ++i) {
        replay += envelope({ev("m" + std::to_string(i), R"("2026-11-30T10:00:00Z")", body("c"))}) + "\n";
    }
    write_file(dir.file("replay.jsonl"), replay);
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "20"},
        dir.file("emulator.log"));
    ChildProcess consumer(
        {GSTREAM_BINARY, "run", "--config",
         write_config(dir, {.base_url = emulator.origin(), .metrics_listen = "127.0.0.1:0"}),
         "--once"},
        {}, dir.file("consumer.log"));
    const auto line = consumer.wait_for_log_line("admin listening ", 30s);
    ASSERT_TRUE(line) << read_file(dir.file("consumer.log"));
    const std::string admin = line->substr(std::string("admin listening ").size());
    const auto health = http_get(admin, "/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    // Ready once the stream is connected: wait for it, bounded.
    int ready = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (ready != 200 && std::chrono::steady_clock::now() < deadline) {
        const auto r = http_get(admin, "/readyz");
        ready = r ? r->status : 0;
    }
    EXPECT_EQ(ready, 200);
    const auto metrics = http_get(admin, "/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 200);
    EXPECT_NE(metrics->body.find("genesys_stream_events_received_total"), std::string::npos);
    const auto [code, output] = run_shell("promtool check metrics", metrics->body);
    EXPECT_EQ(code, 0) << output;
    EXPECT_EQ(http_get(admin, "/nope")->status, 404);
    const auto summary_line = consumer.wait_for_log_line("summary:", 60s);
    EXPECT_EQ(consumer.wait(10s), 0);
    ASSERT_TRUE(summary_line);
    const auto summary = parse_summary(*summary_line);
    ASSERT_TRUE(summary);
    EXPECT_EQ((*summary)["delivered"], 40);
}

// A private CA and a server certificate for localhost / 127.0.0.1, made with the openssl CLI.
void make_certificates(const TempDir& dir) {
    const std::string d = dir.path();
    write_file(dir.file("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    const std::string script =
        "set -e; cd " + d + "; "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=gstream-test-ca >/dev/null 2>&1; "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=localhost >/dev/null 2>&1; "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile san.ext >/dev/null 2>&1";
    const auto [code, output] = run_shell("bash -c '" + script + "'");
    ASSERT_EQ(code, 0) << output;
}

TEST(Consumer, SecureWebSocketWithAPrivateCaAndHostnameVerification) {
    TempDir dir;
    make_certificates(dir);
    auto emulator = start_emulator({"--protocol", "envelope", "--events", "200", "--seed", "5",
                                    "--tls-cert", dir.file("server.pem"), "--tls-key",
                                    dir.file("server.key"), "--manifest", dir.file("manifest.json")},
                                   dir.file("emulator.log"));
    const std::string port = emulator.address.substr(emulator.address.rfind(':') + 1);
    const auto r = run_consumer(
        write_config(dir, {.base_url = "https://localhost:" + port,
                           .extra_source = "  tls: { verify: true, ca_file: " + dir.file("ca.pem") +
                                           " }\n"}),
        dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    expect_summary_matches_manifest(r, read_manifest(dir.file("manifest.json")));
}

TEST(Consumer, RealGenesysDetailEventsAreDeliveredValueForValue) {
    const std::string folder = shared_path("fixtures/genesys-real");
    if (folder.empty()) {
        GTEST_SKIP() << "../shared/fixtures/genesys-real is absent: real-input test skipped";
    }
    TempDir dir;
    std::string replay;
    std::map<std::string, std::string> sent;  // id -> eventBody raw
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        if (entry.path().extension() != ".json") {
            continue;
        }
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(read_file(entry.path().string()))) << entry.path();
        const auto root = doc.root();
        const std::string_view detail_type = root.find("detail-type").get_string();
        constexpr std::string_view kPrefix = "v2.detail.events.conversation.";
        if (!detail_type.starts_with(kPrefix)) {
            continue;
        }
        const auto event_body = root.at_pointer("/detail/eventBody");
        const std::string id(root.at_pointer("/detail/metadata/CorrelationId").get_string());
        std::string_view rest = detail_type.substr(kPrefix.size());
        const std::string kind(rest.substr(rest.find('.') + 1));
        const auto instant =
            core::instant_from_epoch_ms(event_body.find("eventTime").get_int64());
        ASSERT_TRUE(instant) << entry.path();
        std::string compact;
        for (char c : event_body.raw()) {
            if (c != '\n') {
                compact.push_back(c);
            }
        }
        replay += envelope({R"({"id":")" + id + R"(","timestamp":")" + core::format_rfc3339(*instant) +
                            R"(","eventType":")" + kind + R"(","data":)" + compact + "}"}) +
                  "\n";
        // Published samples reuse CorrelationIds across files: the consumer de-duplicates them,
        // so the first one sent is the one delivered.
        sent.emplace(id, std::string(event_body.raw()));
    }
    ASSERT_FALSE(sent.empty());
    write_file(dir.file("replay.jsonl"), replay);
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                                   dir.file("emulator.log"));
    const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin()}),
                                dir.file("consumer.log"));
    ASSERT_EQ(r.exit_code, 0) << r.log;
    const auto out = read_lines(dir.file("events.jsonl"));
    ASSERT_EQ(out.size(), sent.size()) << r.log;
    for (const auto& line : out) {
        core::JsonDocument got;
        ASSERT_TRUE(got.parse(line));
        const std::string id(got.root().find("id").get_string());
        ASSERT_TRUE(sent.contains(id)) << id;
        core::JsonDocument want;
        ASSERT_TRUE(want.parse(sent[id]));
        EXPECT_TRUE(json_equal(got.root().find("data"), want.root())) << id;
    }
}

}  // namespace
}  // namespace gstream::testing

namespace gstream::testing {
namespace {

TEST(Consumer, SigtermDrainsFlushesAndExitsZero) {
    TempDir dir;
    std::string replay;
    for (int i = 0; i < 400; ++i) {
        replay += envelope({ev("t" + std::to_string(i), R"("2026-11-30T10:00:00Z")", body("c"))}) + "\n";
    }
    write_file(dir.file("replay.jsonl"), replay);
    // 50 messages/s: the stream is still running when the signal arrives.
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "50"},
        dir.file("emulator.log"));
    ChildProcess consumer(
        {GSTREAM_BINARY, "run", "--config",
         write_config(dir, {.base_url = emulator.origin(), .metrics_listen = "127.0.0.1:0"})},
        {}, dir.file("consumer.log"));
    const auto line = consumer.wait_for_log_line("admin listening ", 30s);
    ASSERT_TRUE(line) << read_file(dir.file("consumer.log"));
    const std::string admin = line->substr(std::string("admin listening ").size());
    // Wait until some events were received (bounded), then ask it to stop.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    bool receiving = false;
    while (!receiving && std::chrono::steady_clock::now() < deadline) {
        const auto m = http_get(admin, "/metrics");
        receiving = m && m->body.find("genesys_stream_events_received_total 0") == std::string::npos &&
                    m->body.find("genesys_stream_events_received_total") != std::string::npos;
    }
    ASSERT_TRUE(receiving);
    consumer.signal(SIGTERM);
    const auto summary_line = consumer.wait_for_log_line("summary:", 30s);
    EXPECT_EQ(consumer.wait(10s), 0);
    ASSERT_TRUE(summary_line);
    const auto summary = parse_summary(*summary_line);
    ASSERT_TRUE(summary) << *summary_line;
    const long long received = (*summary)["received"];
    EXPECT_GT(received, 0);
    EXPECT_LT(received, 400);  // stopped mid-stream
    // Nothing received was lost: every received event reached the sink.
    EXPECT_EQ((*summary)["delivered"], received);
    EXPECT_EQ(static_cast<long long>(read_lines(dir.file("events.jsonl")).size()), received);
}

TEST(ValidateCommand, ChecksEachLineAndExitsOneOnInvalid) {
    TempDir dir;
    write_file(dir.file("in.jsonl"),
               ev("ok", R"("2026-11-30T10:00:00Z")", body("c")) + "\n\n" +
                   ev("bad", R"("2026-11-30T10:00:00Z")", R"({"conversationId":"c","eventTime":"x"})") +
                   "\nnot json\n");
    ChildProcess validate({GSTREAM_BINARY, "validate", dir.file("in.jsonl")});
    const auto lines = validate.read_all(30s);
    EXPECT_EQ(validate.wait(10s), 1);
    ASSERT_EQ(lines.size(), 3U);
    EXPECT_EQ(lines[0], dir.file("in.jsonl") + ":1: valid");
    EXPECT_EQ(lines[1].rfind(dir.file("in.jsonl") + ":3: invalid: schema: /data/eventTime: type", 0), 0U)
        << lines[1];
    EXPECT_EQ(lines[2].rfind(dir.file("in.jsonl") + ":4: invalid: not_json", 0), 0U) << lines[2];
    ChildProcess detail({GSTREAM_BINARY, "validate", "--event-type", "acd.start", dir.file("in.jsonl")});
    detail.read_all(30s);
    EXPECT_EQ(detail.wait(10s), 1);
}

// Events hold customer data: every file that holds them is created 0600 (owner only), whatever
// the umask lets through: the sink's file, the write-ahead log's segment and checkpoint, and the
// dead-letter database with its SQLite side files.
TEST(Consumer, FilesThatHoldEventsAreCreatedForTheOwnerOnly) {
    TempDir dir;
    write_file(dir.file("replay.jsonl"),
               envelope({ev("a", R"("2026-11-30T10:00:00Z")", body("c1"))}) + "\nnot json\n");
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                                   dir.file("emulator.log"));
    const mode_t previous = ::umask(022);  // the usual umask, inherited by the consumer
    const auto r = run_consumer(write_config(dir, {.base_url = emulator.origin()}),
                                dir.file("consumer.log"));
    ::umask(previous);
    ASSERT_EQ(r.exit_code, 0) << r.log;
    std::vector<std::string> files{dir.file("events.jsonl"), dir.file("dlq.sqlite3"),
                                   dir.file("wal/checkpoint")};
    for (const auto& entry : std::filesystem::directory_iterator(dir.file("wal"))) {
        if (entry.path().extension() == ".log") {
            files.push_back(entry.path().string());
        }
    }
    ASSERT_GE(files.size(), 4u);
    for (const std::string& f : files) {
        struct stat st {};
        ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
}

// The write-ahead log is on by default, in data_dir: a data_dir that cannot be created stops
// start-up with one line naming the path, the cause and the two ways out.
TEST(Consumer, ADataDirThatCannotBeCreatedStopsStartUpWithOneLine) {
    TempDir dir;
    write_file(dir.file("blocker"), "a file where the directory should be\n");
    const std::string data_dir = dir.file("blocker/state");
    write_file(dir.file("config.yaml"),
               "source: {url: 'ws://127.0.0.1:1/'}\nsinks: [{type: file, path: " +
                   dir.file("events.jsonl") + "}]\ndata_dir: " + data_dir + "\n");
    ChildProcess run({GSTREAM_BINARY, "run", "--config", dir.file("config.yaml")}, {},
                     dir.file("stderr.log"));
    run.read_all(30s);
    EXPECT_EQ(run.wait(30s), 2);
    EXPECT_EQ(read_file(dir.file("stderr.log")),
              "genesys-stream: data directory '" + data_dir +
                  "' cannot be created or written: Not a directory; set data_dir to a directory "
                  "this user can write, or wal.enabled: false to run without the write-ahead log "
                  "(a crash then loses what the pipeline held)\n");
    EXPECT_FALSE(std::filesystem::exists(dir.file("events.jsonl")));  // nothing was opened
}

}  // namespace
}  // namespace gstream::testing
