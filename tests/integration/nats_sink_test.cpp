// The NATS JetStream sink against a real `nats-server -js` on a free loopback port
// (docs/sinks/nats.md): exact messages and headers read back from the stream, re-sends dropped by
// Nats-Msg-Id and counted delivered, an oversize event refused alone, a server killed and restarted
// mid-stream, a server down at start, credentials refused at start. No sleeps as synchronisation:
// every wait polls a condition with a deadline.
#include <atomic>
#include <csignal>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/decoder.hpp"
#include "pipeline/sink_driver.hpp"
#include "sink/file/file_formatter.hpp"
#include "sink/nats/nats_sink.hpp"
#include "support/envelope_stream.hpp"
#include "support/integration.hpp"
#include "support/nats_server.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sink::SinkResult;
using sink::nats::NatsSink;
using sink::nats::NatsSinkConfig;

constexpr auto kDeadline = 120s;

/// Events decoded from envelope messages (kept alive by the returned vector).
class Events {
public:
    /// Event `i` of `count` from `first`: id "e<i>", eventType acd.start, queue "q<i % 3>" (none
    /// when i % 5 == 4), conversation "c<i % 7>"; `pad` bytes of padding in `data`.
    static Events make(int first, int count, std::size_t pad = 0) {
        Events out;
        for (int i = first; i < first + count; ++i) {
            const std::string queue = i % 5 == 4 ? "" : fmt::format(R"(,"queueId":"q{}")", i % 3);
            const std::string padding =
                pad > 0 ? fmt::format(R"(,"pad":"{}")", std::string(pad, 'x')) : "";
            out.add(fmt::format(
                R"({{"subscriptionId":"s","events":[{{"id":"e{:06}","timestamp":"2026-11-30T10:00:00.000Z",)"
                R"("eventType":"acd.start","data":{{"conversationId":"c{}"{}{}}}}}]}})",
                i, i % 7, queue, padding));
        }
        return out;
    }
    void add(const std::string& message) {
        pipeline::EnvelopeDecoder decoder;
        auto m = std::make_shared<core::Message>();
        m->payload = message;
        pipeline::DecodeOutput out;
        decoder.decode(std::move(m), out);
        EXPECT_EQ(out.events.size(), 1U) << message;
        for (core::Event& e : out.events) {
            events_.push_back(std::move(e));
        }
    }
    std::span<const core::Event> all() const { return events_; }
    std::span<const core::Event> slice(std::size_t from, std::size_t n) const {
        return std::span<const core::Event>(events_).subspan(from, n);
    }
    std::size_t size() const { return events_.size(); }

private:
    std::vector<core::Event> events_;
};

NatsSinkConfig config_for(const std::string& url, const std::string& stream = "GENESYS") {
    NatsSinkConfig c;
    c.name = "jetstream";
    c.servers = {url};
    c.stream = stream;
    c.create_stream = sink::nats::CreateStreamConfig{{"genesys.>"}, false, 120'000, 1};
    c.ack_timeout_ms = 2'000;
    c.connect_timeout_ms = 1'000;
    return c;
}

std::string native_body(const core::Event& e) {
    std::string line;
    sink::file::format_event(e, line);
    line.pop_back();
    return line;
}

/// Message ids in stream order.
std::vector<std::string> ids_of(const std::vector<StoredMessage>& messages) {
    std::vector<std::string> ids;
    for (const StoredMessage& m : messages) {
        const auto it = m.headers.find("Nats-Msg-Id");
        ids.push_back(it == m.headers.end() ? std::string("<none>") : it->second);
    }
    return ids;
}

/// Every id e<first>..e<first+count-1> exactly once, nothing else; per conversation (i % 7) in
/// event order.
void expect_exactly_once_in_order(const std::vector<StoredMessage>& messages, int count) {
    std::map<std::string, int> seen;
    std::map<int, int> last_of_conversation;
    for (const std::string& id : ids_of(messages)) {
        ++seen[id];
        const int i = std::stoi(id.substr(1));
        const auto it = last_of_conversation.find(i % 7);
        if (it != last_of_conversation.end()) {
            EXPECT_LT(it->second, i) << "conversation c" << i % 7 << " out of order at " << id;
        }
        last_of_conversation[i % 7] = i;
    }
    int missing = 0;
    int repeated = 0;
    for (int i = 0; i < count; ++i) {
        const auto it = seen.find(fmt::format("e{:06}", i));
        missing += it == seen.end() ? 1 : 0;
        repeated += it != seen.end() && it->second != 1 ? 1 : 0;
    }
    EXPECT_EQ(missing, 0);
    EXPECT_EQ(repeated, 0);
    EXPECT_EQ(messages.size(), static_cast<std::size_t>(count));
}

/// Polls until `pred` holds or the deadline passes.
template <typename Pred>
bool eventually(Pred pred) {
    const auto deadline = Clock::now() + kDeadline;
    while (Clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        std::this_thread::sleep_for(5ms);
    }
    return false;
}

TEST(NatsSink, PublishesEachEventWithItsSubjectMsgIdAndNativeBody) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    const Events events = Events::make(0, 5);
    NatsSink sink(config_for(server.url()));
    ASSERT_EQ(sink.write_batch(events.all()), SinkResult::kOk) << sink.last_error();
    EXPECT_TRUE(sink.take_rejected().empty());
    EXPECT_EQ(sink.stored(), 5U);
    EXPECT_EQ(sink.duplicates(), 0U);

    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    ASSERT_EQ(stored->size(), 5U);
    const std::vector<std::string> subjects{"genesys.acd_start.q0", "genesys.acd_start.q1",
                                            "genesys.acd_start.q2", "genesys.acd_start.q0",
                                            "genesys.acd_start._"};
    for (std::size_t i = 0; i < 5; ++i) {
        const StoredMessage& m = (*stored)[i];
        EXPECT_EQ(m.sequence, i + 1);
        EXPECT_EQ(m.subject, subjects[i]);
        EXPECT_EQ(m.headers,
                  (std::map<std::string, std::string>{{"Nats-Msg-Id", fmt::format("e{:06}", i)}}));
        EXPECT_EQ(m.data, native_body(events.all()[i]));
    }
    EXPECT_EQ((*stored)[0].data,
              R"({"id":"e000000","eventType":"acd.start","eventTime":"2026-11-30T10:00:00.000Z",)"
              R"("queueId":"q0","conversationId":"c0","data":{"conversationId":"c0","queueId":"q0"}})");
}

TEST(NatsSink, AResentBatchIsDroppedByTheStreamAndCountedDelivered) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    const Events events = Events::make(0, 20);
    auto owned = std::make_unique<NatsSink>(config_for(server.url()));
    NatsSink& sink = *owned;
    std::vector<std::unique_ptr<sink::Sink>> sinks;
    sinks.push_back(std::move(owned));
    pipeline::SinkDriver d(std::move(sinks), {}, {});
    EXPECT_EQ(d.deliver(events.all()).delivered, 20U);
    // The driver resends a batch after kRetry; here the same batch again, as after a crash.
    const pipeline::DeliveryReport again = d.deliver(events.all());
    EXPECT_EQ(again.delivered, 20U);
    EXPECT_TRUE(again.rejections.empty());
    EXPECT_EQ(sink.stored(), 20U);
    EXPECT_EQ(sink.duplicates(), 20U);
    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    expect_exactly_once_in_order(*stored, 20);
}

TEST(NatsSink, AnEventOverMaxPayloadIsRejectedAloneAndNeverSent) {
    TempDir dir;
    write_file(dir.file("server.conf"), "max_payload: 4096\n");
    NatsServer server(dir.file("nats"), {"-c", dir.file("server.conf")});
    ASSERT_FALSE(server.url().empty());
    Events events = Events::make(0, 3);
    const Events big = Events::make(3, 1, 5000);
    events.add(std::string(big.all()[0].message->payload));
    const Events tail = Events::make(4, 2);
    events.add(std::string(tail.all()[0].message->payload));
    events.add(std::string(tail.all()[1].message->payload));

    std::vector<std::unique_ptr<sink::Sink>> sinks;
    sinks.push_back(std::make_unique<NatsSink>(config_for(server.url())));
    const NatsSink& sink = static_cast<const NatsSink&>(*sinks[0]);
    pipeline::SinkDriver driver(std::move(sinks), {}, {});
    const pipeline::DeliveryReport report = driver.deliver(events.all());
    EXPECT_EQ(report.delivered, 5U);
    ASSERT_EQ(report.rejections.size(), 1U);
    EXPECT_EQ(report.rejections[0].raw, std::string(events.all()[3].raw()));
    EXPECT_EQ(report.rejections[0].reason, core::Errc::kSinkRejected);
    const std::size_t body = native_body(events.all()[3]).size();
    const std::size_t headers = sizeof("NATS/1.0\r\nNats-Msg-Id: e000003\r\n\r\n") - 1;
    EXPECT_EQ(report.rejections[0].detail,
              fmt::format("sink jetstream rejected the event: too_large: {} bytes (body {} + "
                          "headers {}) over the NATS server's max_payload of 4096 bytes",
                          body + headers, body, headers));
    // Never sent: the connection the server would have closed is the first one still.
    EXPECT_EQ(sink.connections(), 1U);
    EXPECT_EQ(driver.counts(0).retries.load(), 0U);
    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(ids_of(*stored),
              (std::vector<std::string>{"e000000", "e000001", "e000002", "e000004", "e000005"}));
}

// The stream's own limit (max_msg_size 1000, below the server's max_payload): the stream refuses
// the one event with error 10054, which is dead-lettered alone; the others are stored.
TEST(NatsSink, AnEventOverTheStreamsMaxMsgSizeIsRejectedAlone) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    ASSERT_TRUE(create_stream(server.url(), "SMALL", {"genesys.>"}, 1000));
    Events events = Events::make(0, 1);
    events.add(std::string(Events::make(1, 1, 2000).all()[0].message->payload));
    events.add(std::string(Events::make(2, 1).all()[0].message->payload));
    NatsSinkConfig config = config_for(server.url(), "SMALL");
    config.create_stream.reset();
    NatsSink sink(config);
    ASSERT_EQ(sink.write_batch(events.all()), SinkResult::kOk) << sink.last_error();
    const std::vector<sink::RejectedEvent> rejected = sink.take_rejected();
    ASSERT_EQ(rejected.size(), 1U);
    EXPECT_EQ(rejected[0].index, 1U);
    EXPECT_EQ(rejected[0].detail,
              fmt::format("too_large: stream 'SMALL' refused {} bytes: message size exceeds "
                          "maximum allowed",
                          native_body(events.all()[1]).size()));
    const auto stored = read_stream(server.url(), "SMALL");
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(ids_of(*stored), (std::vector<std::string>{"e000000", "e000002"}));
}

/// Writes `events` in batches of `batch` through a SinkDriver (fast retries, never gives up) on
/// a thread of its own, like the daemon's sink cursor.
class Writer {
public:
    Writer(std::unique_ptr<NatsSink> sink, const Events& events, std::size_t batch)
        : sink_(sink.get()) {
        std::vector<std::unique_ptr<sink::Sink>> sinks;
        sinks.push_back(std::move(sink));
        driver_ = std::make_unique<pipeline::SinkDriver>(
            std::move(sinks), pipeline::SinkDriverOptions{10, 200}, std::function<bool()>{});
        thread_ = std::thread([this, &events, batch] {
            for (std::size_t at = 0; at < events.size(); at += batch) {
                const auto report =
                    driver_->deliver(events.slice(at, std::min(batch, events.size() - at)));
                delivered_ += report.delivered;
                rejected_ += report.rejections.size();
                batches_.fetch_add(1);
            }
        });
    }
    ~Writer() { join(); }
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::uint64_t retries() const { return driver_->counts(0).retries.load(); }
    std::size_t batches() const { return batches_.load(); }
    std::size_t delivered() const { return delivered_; }  ///< after join()
    std::size_t rejected() const { return rejected_; }    ///< after join()
    const NatsSink& sink() const { return *sink_; }       ///< after join()

private:
    NatsSink* sink_;
    std::unique_ptr<pipeline::SinkDriver> driver_;
    std::atomic<std::size_t> batches_{0};
    std::size_t delivered_ = 0;
    std::size_t rejected_ = 0;
    std::thread thread_;
};

// nats-server is killed (SIGKILL) while publishes are in flight and started again on the same
// port and store: the sink answers kRetry (lost connection, or an ack that never comes), the
// driver resends the batch, and the stream holds every event once, each conversation in order.
TEST(NatsSink, AServerKilledAndRestartedMidStreamLeavesEveryEventOnceInOrder) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    constexpr int kEvents = 20'000;
    const Events events = Events::make(0, kEvents);
    NatsSinkConfig config = config_for(server.url());
    config.max_in_flight = 64;
    Writer writer(std::make_unique<NatsSink>(config), events, 500);
    // Kill once a third of the stream is in (batches are counted after their ack).
    ASSERT_TRUE(eventually([&] { return writer.batches() >= 12; }));
    server.stop(/*kill=*/true);
    ASSERT_TRUE(eventually([&] { return writer.retries() >= 1; }));
    ASSERT_TRUE(server.start());
    writer.join();
    EXPECT_EQ(writer.delivered(), static_cast<std::size_t>(kEvents));
    EXPECT_EQ(writer.rejected(), 0U);
    EXPECT_GE(writer.sink().connections(), 2U);
    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    expect_exactly_once_in_order(*stored, kEvents);
    // Each event's last ack is read once, new or duplicate; an event whose ack of an attempt
    // that failed later was read is counted new, then duplicate. A new ack is read at most once
    // per event.
    EXPECT_GE(writer.sink().stored() + writer.sink().duplicates(),
              static_cast<std::uint64_t>(kEvents));
    EXPECT_LE(writer.sink().stored(), static_cast<std::uint64_t>(kEvents));
    std::printf("restart: retries=%llu duplicates=%llu connections=%llu\n",
                static_cast<unsigned long long>(writer.retries()),
                static_cast<unsigned long long>(writer.sink().duplicates()),
                static_cast<unsigned long long>(writer.sink().connections()));
}

// The server stalls (SIGSTOP: the connection stays open, nothing answers): no ack comes, so the
// attempt ends at ack_timeout_ms (not a hang), reconnects time out, and once the server runs
// again (SIGCONT) the batch is resent and every event is in the stream once.
TEST(NatsSink, AStalledServerTimesOutTheAcksAndTheResendLeavesEveryEventOnce) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    const Events events = Events::make(0, 2'000);
    NatsSinkConfig config = config_for(server.url());
    config.ack_timeout_ms = 300;
    config.connect_timeout_ms = 300;
    NatsSink* sink = nullptr;
    {
        auto owned = std::make_unique<NatsSink>(config);
        sink = owned.get();
        // Delivered before the stall: the stream exists and holds the first 100.
        ASSERT_EQ(sink->write_batch(events.slice(0, 100)), SinkResult::kOk);
        server.signal(SIGSTOP);
        const auto started = Clock::now();
        EXPECT_EQ(sink->write_batch(events.slice(100, 400)), SinkResult::kRetry);
        const auto waited = Clock::now() - started;
        EXPECT_GE(waited, 300ms);
        EXPECT_LT(waited, 5s);
        EXPECT_NE(sink->last_error().find("no JetStream ack within ack_timeout_ms (300 ms)"),
                  std::string::npos)
            << sink->last_error();
        // Reconnecting to the stalled server times out too.
        EXPECT_EQ(sink->write_batch(events.slice(100, 400)), SinkResult::kRetry);
        server.signal(SIGCONT);
        Writer writer(std::move(owned), events, 400);
        writer.join();
        EXPECT_EQ(writer.delivered(), 2'000U);
    }
    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    expect_exactly_once_in_order(*stored, 2'000);
}

// The servers are down when the sink starts: it starts anyway (no exception), answers kRetry
// until a server is up, then creates the stream and delivers everything.
TEST(NatsSink, ServersDownAtStartThenUpLoseNothing) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    server.stop();
    const Events events = Events::make(0, 1'000);
    Writer writer(std::make_unique<NatsSink>(config_for(server.url())), events, 100);
    ASSERT_TRUE(eventually([&] { return writer.retries() >= 2; }));
    EXPECT_EQ(writer.batches(), 0U);
    ASSERT_TRUE(server.start());
    writer.join();
    EXPECT_EQ(writer.delivered(), 1'000U);
    EXPECT_EQ(writer.sink().connections(), 1U);
    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    expect_exactly_once_in_order(*stored, 1'000);
}

TEST(NatsSink, AStreamThatDoesNotExistIsAStartUpErrorNamingTheFix) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    NatsSinkConfig config = config_for(server.url(), "MISSING");
    config.create_stream.reset();
    try {
        NatsSink sink(config);
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(),
                     "sink 'jetstream': stream 'MISSING' does not exist on the NATS server: "
                     "create it, or set create_stream");
    }
}

/// A CA and a server certificate for "localhost" signed by it, in `dir` (openssl CLI).
void make_certificates(const TempDir& dir) {
    const auto [code, out] = run_shell(fmt::format(
        "(cd {} && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=test-ca && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=localhost && "
        "printf 'subjectAltName=DNS:localhost' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile san.ext) 2>&1",
        dir.path()));
    ASSERT_EQ(code, 0) << out;
}

// TLS verifies the server: with the CA it publishes; without it (the system store does not know
// this CA) or with another expected name, the sink refuses to start, naming the keys to check.
TEST(NatsSink, TlsVerifiesTheServersCertificateAndName) {
    TempDir dir;
    make_certificates(dir);
    NatsServer server(dir.file("nats"),
                      {"--tls", "--tlscert", dir.file("server.pem"), "--tlskey",
                       dir.file("server.key")},
                      "", dir.file("ca.pem"));
    ASSERT_FALSE(server.url().empty());
    ASSERT_TRUE(server.url().starts_with("tls://localhost:")) << server.url();
    NatsSinkConfig config = config_for(server.url());
    config.tls = sink::nats::TlsConfig{dir.file("ca.pem"), "", "", ""};
    {
        NatsSink sink(config);
        const Events events = Events::make(0, 3);
        ASSERT_EQ(sink.write_batch(events.all()), SinkResult::kOk) << sink.last_error();
        EXPECT_EQ(sink.stored(), 3U);
    }
    const std::string refused = "sink 'jetstream': TLS with the NATS server failed (";
    config.tls = sink::nats::TlsConfig{};  // the system store only
    try {
        NatsSink sink(config);
        ADD_FAILURE() << "connected without trusting the CA";
    } catch (const std::runtime_error& e) {
        std::printf("%s\n", e.what());
        EXPECT_TRUE(std::string(e.what()).starts_with(refused)) << e.what();
        EXPECT_TRUE(std::string(e.what()).ends_with(
            "): check servers (tls://) and tls (ca_file, server_name)"))
            << e.what();
    }
    config.tls = sink::nats::TlsConfig{dir.file("ca.pem"), "", "", "nats.example.com"};
    try {
        NatsSink sink(config);
        ADD_FAILURE() << "connected to a server whose certificate names another host";
    } catch (const std::runtime_error& e) {
        std::printf("%s\n", e.what());
        EXPECT_TRUE(std::string(e.what()).starts_with(refused)) << e.what();
    }
}

/// Polls (5 ms) the file at `path` until it contains `text`.
bool wait_for_text(const std::string& path, const std::string& text) {
    return eventually([&] { return read_file(path).find(text) != std::string::npos; });
}

// The daemon with its NATS servers down at start: it starts (one warning), its sink retries while
// the emulator's stream arrives (the write-ahead log holds it), and once nats-server is up every
// event is delivered once and the run ends normally.
TEST(NatsSink, TheDaemonStartsWithTheServersDownAndDeliversOnceTheyAreUp) {
    TempDir dir;
    NatsServer server(dir.file("nats"));
    ASSERT_FALSE(server.url().empty());
    server.stop();
    std::string replay;
    for (int m = 0; m < 100; ++m) {
        std::vector<std::string> batch;
        for (int k = 0; k < 10; ++k) {
            batch.push_back(envelope_event(fmt::format("e{:06}", m * 10 + k), m * 10 + k));
        }
        replay += envelope_message(batch) + "\n";
    }
    write_file(dir.file("replay.jsonl"), replay);
    auto emulator = start_emulator(
        {"--protocol", "envelope", "--replay", dir.file("replay.jsonl"), "--rate", "2000"},
        dir.file("emulator.log"));
    const std::string config = dir.file("config.yaml");
    write_file(config,
               fmt::format("genesys:\n  base_url: {}\n  client_id: demo\n  client_secret: demo\n"
                           "source:\n  protocol: envelope\n"
                           "pipeline:\n  batch: {{ max_events: 100, max_age_ms: 20 }}\n"
                           "  allowed_lateness_ms: 100\n"
                           "sinks:\n  - type: nats\n    servers: [{}]\n    stream: GENESYS\n"
                           "    create_stream: {{ subjects: ['genesys.>'] }}\n"
                           "data_dir: {}\nshutdown_timeout_ms: 120000\n",
                           emulator.origin(), server.url(), dir.path()));
    const std::string log = dir.file("consumer.log");
    ChildProcess consumer({GSTREAM_BINARY, "run", "--config", config, "--once"}, {}, log);
    ASSERT_TRUE(wait_for_text(log, "NATS servers unreachable at start")) << read_file(log);
    ASSERT_TRUE(wait_for_text(log, "sink write failed, retrying sink=nats")) << read_file(log);
    ASSERT_TRUE(server.start());
    std::optional<Summary> summary;
    if (const auto line = consumer.wait_for_log_line("summary:", kDeadline)) {
        summary = parse_summary(*line);
    }
    ASSERT_EQ(consumer.wait(30s), 0) << read_file(log);
    ASSERT_TRUE(summary.has_value()) << read_file(log);
    EXPECT_EQ((*summary)["delivered"], 1000);
    EXPECT_EQ((*summary)["dead_lettered"], 0);
    const auto stored = read_stream(server.url(), "GENESYS");
    ASSERT_TRUE(stored.has_value());
    std::set<std::string> ids;
    for (const std::string& id : ids_of(*stored)) {
        ids.insert(id);
    }
    EXPECT_EQ(stored->size(), 1000U);
    EXPECT_EQ(ids.size(), 1000U);
    EXPECT_EQ(*ids.begin(), "e000000");
    EXPECT_EQ(*ids.rbegin(), "e000999");
}

// The daemon with a wrong token: it stops at start-up with one line that names the key to fix
// and never shows the token.
TEST(NatsSink, AWrongTokenStopsTheDaemonWithOneClearLine) {
    TempDir dir;
    NatsServer server(dir.file("nats"), {"--auth", "right-token-123"}, "right-token-123");
    ASSERT_FALSE(server.url().empty());
    const std::string config = dir.file("config.yaml");
    write_file(config, fmt::format("source: {{url: 'ws://127.0.0.1:1/'}}\n"
                                   "sinks:\n  - type: nats\n    servers: [{}]\n"
                                   "    stream: GENESYS\n    token: wrong-token-456\n"
                                   "    create_stream: {{subjects: ['genesys.>']}}\n"
                                   "data_dir: {}\nlogging: {{level: warn}}\n",
                                   server.url(), dir.path()));
    const RunResult r = run_consumer(config, dir.file("consumer.log"), 60s, {});
    EXPECT_NE(r.exit_code, 0);
    std::vector<std::string> lines;
    std::size_t at = 0;
    while (at < r.log.size()) {
        const std::size_t end = r.log.find('\n', at);
        lines.push_back(r.log.substr(at, end == std::string::npos ? end : end - at));
        at = end == std::string::npos ? r.log.size() : end + 1;
    }
    ASSERT_EQ(lines.size(), 1U) << r.log;
    EXPECT_NE(lines[0].find("sink 'nats': the NATS server refused the credentials"),
              std::string::npos)
        << lines[0];
    EXPECT_NE(lines[0].find("check token"), std::string::npos) << lines[0];
    EXPECT_EQ(r.log.find("wrong-token-456"), std::string::npos) << r.log;
    std::printf("%s\n", lines[0].c_str());
}

}  // namespace
}  // namespace gstream::testing
