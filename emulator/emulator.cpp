// The emulator's network side: one io_context thread, C++20 coroutines, Beast HTTP and
// WebSocket over plain TCP or TLS. The REST logic lives in api.cpp and notifications_api.cpp, the
// traffic in generator.cpp (envelope) and conversation_generator.cpp (notifications).
// Idiom after the Boost 1.81 example advanced/server-flex-awaitable.

#include "emulator/emulator.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "emulator/api.hpp"
#include "emulator/conversation_generator.hpp"
#include "emulator/generator.hpp"
#include "emulator/notifications_api.hpp"

namespace gstream::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUse = asio::as_tuple(asio::use_awaitable);
constexpr auto kTlsHandshakeTimeout = 10s;
constexpr auto kHttpReadTimeout = 30s;   // a whole request, headers and body
constexpr auto kHttpWriteTimeout = 30s;
constexpr auto kWsHandshakeTimeout = 10s;  // also the close handshake
constexpr auto kWsIdleTimeout = 60s;     // pings at half of it
constexpr auto kDrainTimeout = 5s;       // after a close/drop: wait this long for the client
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kBodyLimit = 64 * 1024;

void log_exception(std::exception_ptr e) {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "emulator: session failed: %s\n", ex.what());
    }
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

struct Emulator::Impl {
    EmulatorOptions options;
    Counters counters;
    asio::ip::address address;
    unsigned short requested_port = 0;
    std::vector<std::string> replay_lines;
    Api api;

    // Stream state: touched on the server thread only.
    bool stream_started = false;
    std::unique_ptr<Generator> generator;
    std::optional<GeneratedMessage> current_message;  // generator: the message at `next`
    bool exhausted = false;
    std::uint64_t next = 0;        // index of the first message not fully written
    std::uint64_t owner = 0;       // the session allowed to advance `next`
    std::uint64_t session_ids = 0;
    std::string fallback_subscription_id = random_uuid();

    // Notifications protocol: touched on the server thread only.
    NotificationsApi notifications{options, counters, api};
    struct ChannelSocket;  // one accepted WebSocket on a channel
    std::map<std::uint64_t, std::shared_ptr<ChannelSocket>> sockets;
    std::uint64_t stream_socket = 0;  // the socket the topic events go to (0 = none yet)
    std::vector<PlannedFault> plan;
    std::unique_ptr<ConversationGenerator> conversations;
    std::unique_ptr<FaultedStream> faulted;
    std::optional<std::string> pending;  // the data message at `next`, rendered
    std::vector<std::pair<NotificationFault, int>> early_faults;  // before the stream exists
    std::string manifest_text;  // the expected part: manifest_worker's until finish_manifest()
    // Computes and writes the manifest's expected part (a dry run of the whole script) off the
    // server thread: on the server thread it kept a slow (sanitizer-built, loaded) emulator
    // silent for long enough after the first upgrade that a client's health-check watchdog
    // dropped the socket, and the message written next went to a closed socket.
    std::thread manifest_worker;
    /// Waits for the manifest's expected part (before the stream's end is announced).
    void finish_manifest() {
        if (manifest_worker.joinable()) {
            manifest_worker.join();
        }
    }

    mutable std::mutex mu;
    mutable std::condition_variable cv;
    bool finished = false;
    bool started = false;
    bool stopped = false;

    std::optional<asio::ssl::context> ssl;
    // Declared after the state the coroutines use: destroyed first, with their frames.
    asio::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::atomic<unsigned short> port{0};
    std::thread thread;

    explicit Impl(EmulatorOptions o) : options(std::move(o)), api(options, counters) {}
    // The sockets' timers must go before the io_context (the coroutine frames that still hold
    // them are destroyed with it).
    ~Impl() {
        sockets.clear();
        finish_manifest();
    }

    bool notifications_protocol() const { return options.protocol == "notifications"; }
    void apply_fault(NotificationFault fault, int count);
    void channel_gone(const std::string& channel_id, ChannelGone why);
    void wake_all();
    bool serves_stream(const Channel& channel) const;
    void begin_notification_stream(const Channel& channel);
    std::optional<std::string> notification_current();
    int handshakes_seen = 0;
    void write_manifest(bool final_counts);
    void write_expected(const ConversationScriptOptions& so,
                        const std::unordered_set<std::string>& topics,
                        const std::vector<PlannedFault>& faults);

    void begin_stream() {
        if (stream_started) {
            return;
        }
        stream_started = true;
        if (options.replay_file) {
            return;
        }
        StreamFilter filter;
        if (const auto& sub = api.latest_subscription()) {
            filter = sub->filter;
        }
        generator = std::make_unique<Generator>(options, filter);
        if (options.manifest_file) {
            manifest_worker = std::thread([this, filter] {
                manifest_text = Generator::dry_run(options, filter).to_json();
                write_manifest(false);
            });
        }
    }

    /// The text of the message at `next`, or nullopt at the end of the stream.
    std::optional<std::string> current() {
        if (options.replay_file) {
            if (next < replay_lines.size()) {
                return replay_lines[next];
            }
            return std::nullopt;
        }
        if (!current_message && !exhausted) {
            current_message = generator->next();
            exhausted = !current_message;
        }
        if (!current_message) {
            return std::nullopt;
        }
        const auto& sub = api.latest_subscription();
        return render(*current_message, sub ? std::string_view(sub->id)
                                            : std::string_view(fallback_subscription_id));
    }

    void advance() {
        current_message.reset();
        ++next;
    }

    void mark_finished() {
        std::lock_guard lock(mu);
        finished = true;
        cv.notify_all();
    }
};

// ---- Notifications protocol: per-socket state and the Impl methods that act on it ----

enum class ControlKind : std::uint8_t { kPong, kSystem };

struct Emulator::Impl::ChannelSocket {
    explicit ChannelSocket(asio::any_io_executor executor) : wake(std::move(executor)) {}
    std::uint64_t id = 0;
    std::string channel_id;
    asio::steady_timer wake;  // the writer waits on it; cancel() wakes it
    std::deque<std::pair<ControlKind, std::string>> control;  // sent before data
    bool close_requested = false;
    std::uint16_t close_code = 1001;
    std::string close_reason;
    std::optional<std::chrono::steady_clock::time_point> closing_at;  // after socket_closing
    bool reader_done = false;
    bool stalled = false;  // silent stall: this socket writes nothing and answers no ping
};

namespace {

constexpr std::string_view kHeartbeat =
    R"({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})";
// Key order as the captured pong (fixtures/genesys-real/ws-pong.json).
constexpr std::string_view kPong = R"({"eventBody":{"message":"pong"},"topicName":"channel.metadata"})";

// A v2.system.* message (API-NOTES.md §3.4 item 4, SystemMessageSystemMessage fields).
std::string system_message(std::string_view topic, std::string_view channel_id,
                           std::string_view type, std::string_view reason,
                           std::string_view message) {
    boost::json::object body{{"channelId", channel_id}};
    if (!type.empty()) body["systemTopicType"] = type;
    if (!reason.empty()) body["reason"] = reason;
    body["message"] = message;
    NotificationMessage m;
    m.topic_name = std::string(topic);
    m.event_body = boost::json::serialize(body);
    m.correlation_id = random_uuid();
    return render_notification(m);
}

}  // namespace

void Emulator::Impl::wake_all() {
    for (auto& [id, s] : sockets) {
        s->wake.cancel();
    }
}

void Emulator::Impl::channel_gone(const std::string& channel_id, ChannelGone why) {
    for (auto& [id, s] : sockets) {
        if (s->channel_id == channel_id && !s->close_requested) {
            s->close_requested = true;
            s->close_code = 1001;
            s->close_reason = why == ChannelGone::kEvicted   ? "channel removed"
                              : why == ChannelGone::kExpired ? "channel expired"
                                                             : "token revoked";
            s->wake.cancel();
        }
    }
}

void Emulator::Impl::apply_fault(NotificationFault fault, int count) {
    counters.faults_injected++;
    const auto now = std::chrono::steady_clock::now();
    switch (fault) {
    // A half-open socket: the sockets connected now go silent; a new connection works.
    case NotificationFault::kStall:
        for (auto& [id, s] : sockets) {
            s->stalled = true;
        }
        break;
    case NotificationFault::kResume:
        for (auto& [id, s] : sockets) {
            s->stalled = false;
            s->wake.cancel();
        }
        break;
    case NotificationFault::kClose1001:
        for (auto& [id, s] : sockets) {
            s->close_requested = true;
            s->close_code = 1001;
            s->close_reason = "maintenance";
        }
        break;
    case NotificationFault::kSocketClosing:
        for (auto& [id, s] : sockets) {
            s->control.emplace_back(
                ControlKind::kSystem,
                system_message("v2.system.socket_closing", s->channel_id, "", "",
                               "The socket will be closed for maintenance; reconnect."));
            s->closing_at = now + std::chrono::milliseconds(options.socket_closing_delay_ms);
        }
        break;
    case NotificationFault::kTokenRevoked:
        for (auto& [id, s] : sockets) {
            s->control.emplace_back(
                ControlKind::kSystem,
                system_message(fmt::format("v2.system.token_revoked.{}", s->channel_id),
                               s->channel_id, "token_revoked", "user_tokens_revoked",
                               "The token that created this channel was revoked."));
        }
        notifications.revoke_tokens();  // channel_gone() closes every socket after its queue
        break;
    case NotificationFault::kNoLongerSubscribed:
        for (auto& [id, s] : sockets) {
            s->control.emplace_back(
                ControlKind::kSystem,
                system_message(fmt::format("v2.system.no_longer_subscribed.{}", s->channel_id),
                               s->channel_id, "no_longer_subscribed",
                               "another_channel_subscribed",
                               "The topics of this channel were subscribed by another channel."));
            notifications.clear_topics(s->channel_id);
        }
        break;
    default:
        if (faulted) {
            faulted->inject(fault, count);
        } else {
            early_faults.emplace_back(fault, count);
        }
        break;
    }
    wake_all();
}

bool Emulator::Impl::serves_stream(const Channel& channel) const {
    if (options.replay_file) {
        return true;
    }
    return std::any_of(channel.topics.begin(), channel.topics.end(),
                       [](const std::string& t) { return !snapshot_queue_of(t).empty(); });
}

void Emulator::Impl::begin_notification_stream(const Channel& channel) {
    if (stream_started) {
        return;
    }
    stream_started = true;
    if (options.replay_file) {
        return;
    }
    ConversationScriptOptions so;
    so.seed = options.seed;
    so.conversations = options.conversations;
    so.concurrency = options.conversation_concurrency;
    for (const auto& t : channel.topics) {
        const std::string_view q = snapshot_queue_of(t);
        if (!q.empty()) {
            so.queue_ids.emplace_back(q);
        }
    }
    std::sort(so.queue_ids.begin(), so.queue_ids.end());
    so.queue_ids.erase(std::unique(so.queue_ids.begin(), so.queue_ids.end()), so.queue_ids.end());
    conversations = std::make_unique<ConversationGenerator>(so);
    faulted = std::make_unique<FaultedStream>(
        [this]() -> std::optional<NotificationMessage> {
            // Send-time subscription filter: only topics the stream's channel has now.
            for (;;) {
                std::optional<NotificationMessage> m = conversations->next();
                if (!m) {
                    return m;
                }
                const auto it = sockets.find(stream_socket);
                const Channel* ch =
                    it == sockets.end()
                        ? nullptr
                        : notifications.find(it->second->channel_id,
                                             std::chrono::steady_clock::now());
                if (!ch || ch->topic_set.count(m->topic_name) > 0) {
                    return m;
                }
            }
        },
        plan, options.seed);
    for (const auto& [f, n] : early_faults) {
        faulted->inject(f, n);
    }
    early_faults.clear();
    if (!options.manifest_file) {
        return;
    }
    manifest_worker = std::thread(
        [this, so, topics = channel.topic_set, faults = plan] { write_expected(so, topics, faults); });
}

// Dry run of the same script, filter and planned faults; runs on manifest_worker.
void Emulator::Impl::write_expected(const ConversationScriptOptions& so,
                                    const std::unordered_set<std::string>& topics,
                                    const std::vector<PlannedFault>& faults) {
    ConversationGenerator dry(so);
    FaultedStream dry_faults(
        [&]() -> std::optional<NotificationMessage> {
            for (;;) {
                std::optional<NotificationMessage> m = dry.next();
                if (!m || topics.count(m->topic_name) > 0) {
                    return m;
                }
            }
        },
        faults, options.seed);
    std::uint64_t messages = 0, snapshots = 0, details = 0, actions = 0;
    std::map<std::string, std::uint64_t> by_kind;
    for (;;) {
        auto m = dry_faults.next();
        actions += dry_faults.take_actions().size();
        if (!m) {
            break;
        }
        ++messages;
        (m->kind == NotificationMessage::Kind::kSnapshot ? snapshots : details)++;
        by_kind[topic_kind(m->topic_name)]++;
    }
    namespace json = boost::json;
    json::object kinds;
    for (const auto& [k, n] : by_kind) {
        kinds[k] = n;
    }
    json::object transitions;
    const ExpectedTransitions& expected = dry.transitions();
    for (std::size_t i = 0; i < kLifecycleStates.size(); ++i) {
        json::array keys;
        for (const auto& k : expected.keys[i]) {
            keys.emplace_back(k);
        }
        transitions[kLifecycleStates[i]] =
            json::object{{"count", expected.keys[i].size()}, {"keys", std::move(keys)}};
    }
    transitions["total"] = expected.total();
    json::array planned;
    for (const auto& f : options.faults) {
        planned.emplace_back(f);
    }
    json::array queues(so.queue_ids.begin(), so.queue_ids.end());
    const auto ids = conversation_ids(options.seed, so.queue_ids.empty() ? 0 : so.conversations);
    json::object manifest{
        {"protocol", "notifications"},
        {"seed", options.seed},
        {"conversations", so.queue_ids.empty() ? 0U : so.conversations},
        {"queues", std::move(queues)},
        {"conversation_ids", json::array(ids.begin(), ids.end())},
        {"messages", messages},
        {"snapshots", snapshots},
        {"detail_events", details},
        {"by_topic_kind", std::move(kinds)},
        {"faults",
         json::object{{"planned", std::move(planned)},
                      {"dropped", dry_faults.dropped()},
                      {"duplicated", dry_faults.duplicated()},
                      {"duplicated_exact", dry_faults.duplicated_exact()},
                      {"reordered", dry_faults.reordered()},
                      {"session_actions", actions}}},
        {"transitions", std::move(transitions)}};
    manifest_text = json::serialize(manifest);
    write_manifest(false);
}

void Emulator::Impl::write_manifest(bool final_counts) {
    if (!options.manifest_file || manifest_text.empty()) {
        return;
    }
    std::string text = manifest_text;
    if (final_counts) {
        // What was actually written, heartbeats included (time-dependent, so only at the end).
        text.pop_back();
        text += fmt::format(
            R"(,"sent":{{"data_messages":{},"heartbeats":{},"pongs":{},"system_messages":{},)"
            R"("faults_injected":{}}}}})",
            counters.data_messages.load(), counters.heartbeats.load(), counters.pongs.load(),
            counters.system_messages.load(), counters.faults_injected.load());
    }
    std::ofstream out(*options.manifest_file, std::ios::trunc);
    out << text << '\n';
    if (!out) {
        std::fprintf(stderr, "emulator: cannot write manifest file=%s\n",
                     options.manifest_file->c_str());
    }
}

std::optional<std::string> Emulator::Impl::notification_current() {
    if (pending) {
        return pending;
    }
    if (options.replay_file) {
        if (next < replay_lines.size()) {
            pending = replay_lines[next];
        }
        return pending;
    }
    std::optional<NotificationMessage> m = faulted->next();
    for (NotificationFault f : faulted->take_actions()) {
        apply_fault(f, 1);
    }
    if (m) {
        pending = render_notification(*m);
    }
    return pending;
}

namespace {

using Impl = Emulator::Impl;

template <class Stream>
struct WsSession {
    explicit WsSession(Stream stream)
        : ws(std::move(stream)), done_timer(ws.get_executor()) {}
    websocket::stream<Stream> ws;
    asio::steady_timer done_timer;
    bool reader_done = false;
};

// Reads (and drops) whatever the client sends, so that pings, pongs and its close frame are
// processed while the writer streams.
template <class Stream>
asio::awaitable<void> ws_read_loop(std::shared_ptr<WsSession<Stream>> s) {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await s->ws.async_read(buffer, kUse);
        if (ec) {
            break;
        }
        buffer.consume(n);
    }
    s->reader_done = true;
    s->done_timer.cancel();
}

template <class Stream>
asio::awaitable<void> wait_reader(WsSession<Stream>& s) {
    if (s.reader_done) {
        co_return;
    }
    s.done_timer.expires_after(kDrainTimeout);
    auto [ec] = co_await s.done_timer.async_wait(kUse);
    (void)ec;  // cancelled = the reader ended; expired = the client did not close in time
}

template <class Stream>
asio::awaitable<void> ws_write_loop(Impl& impl, std::shared_ptr<WsSession<Stream>> s,
                                    std::uint64_t me) {
    auto& ws = s->ws;
    const auto& o = impl.options;
    asio::steady_timer pace(ws.get_executor());
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    for (;;) {
        if (s->reader_done) {
            co_return;  // the client went away
        }
        if (impl.owner != me) {
            // A newer connection took the stream over.
            auto [ec] = co_await ws.async_close(websocket::close_code::going_away, kUse);
            (void)ec;
            co_await wait_reader(*s);
            co_return;
        }
        if (o.rate > 0) {
            pace.expires_at(t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(static_cast<double>(sent) / o.rate)));
            auto [ec] = co_await pace.async_wait(kUse);
            (void)ec;
            if (impl.owner != me || s->reader_done) {
                continue;
            }
        }
        std::optional<std::string> message = impl.current();
        if (!message) {
            impl.finish_manifest();
            auto [ec] = co_await ws.async_close(websocket::close_code::normal, kUse);
            (void)ec;
            co_await wait_reader(*s);
            impl.mark_finished();
            co_return;
        }
        ws.text(true);
        auto [ec, n] = co_await ws.async_write(asio::buffer(*message), kUse);
        if (ec) {
            co_return;
        }
        impl.counters.messages_sent++;
        ++sent;
        if (impl.owner != me) {
            continue;
        }
        impl.advance();
        // Counted per connection, so a resume overlap cannot drop the same message forever.
        if (o.drop_after_messages > 0 && sent % o.drop_after_messages == 0 && impl.current()) {
            impl.counters.drops++;
            if (o.drop_mode == "abrupt") {
                // No close frame: FIN after the data already written, so nothing written is
                // lost; the client sees the stream end without a close code (1006).
                boost::system::error_code ignored;
                beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_send, ignored);
                co_await wait_reader(*s);
                beast::get_lowest_layer(ws).socket().close(ignored);
            } else {
                auto [cec] = co_await ws.async_close(websocket::close_code::going_away, kUse);
                (void)cec;
                co_await wait_reader(*s);
            }
            co_return;
        }
    }
}

template <class Stream>
asio::awaitable<void> serve_websocket(Impl& impl, Stream stream,
                                      http::request<http::string_body> request) {
    auto s = std::make_shared<WsSession<Stream>>(std::move(stream));
    auto& ws = s->ws;
    beast::get_lowest_layer(ws).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = kWsHandshakeTimeout;
    timeouts.idle_timeout = kWsIdleTimeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator(
        [cid = random_uuid()](websocket::response_type& res) { res.set("ININ-Correlation-Id", cid); }));
    auto [ec] = co_await ws.async_accept(request, kUse);
    if (ec) {
        co_return;
    }
    impl.counters.handshakes++;
    impl.begin_stream();
    const std::uint64_t me = ++impl.session_ids;
    impl.owner = me;
    if (impl.options.replay_file && me > 1) {
        // Upstream redelivery: resume a little before where the previous connection stopped.
        const std::uint64_t back = std::min(impl.next, impl.options.replay_resume_overlap);
        impl.next -= back;
        impl.counters.resent += back;
    }
    asio::co_spawn(ws.get_executor(), ws_read_loop(s), log_exception);
    co_await ws_write_loop(impl, s, me);
}

// ---- Notifications protocol: the WebSocket at connectUri ----

template <class Stream>
struct ChannelSession {
    ChannelSession(Stream stream, std::shared_ptr<Impl::ChannelSocket> st)
        : ws(std::move(stream)), state(std::move(st)) {}
    websocket::stream<Stream> ws;
    std::shared_ptr<Impl::ChannelSocket> state;
};

// Answers {"message":"ping"} with the pong message (unless stalled); ends on close or error.
template <class Stream>
asio::awaitable<void> channel_read_loop([[maybe_unused]] Impl& impl,
                                        std::shared_ptr<ChannelSession<Stream>> s) {
    beast::flat_buffer buffer;
    for (;;) {
        auto [ec, n] = co_await s->ws.async_read(buffer, kUse);
        if (ec) {
            break;
        }
        if (s->ws.got_text() && !s->state->stalled) {
            boost::system::error_code jec;
            const auto v = boost::json::parse(beast::buffers_to_string(buffer.data()), jec);
            const auto* obj = jec ? nullptr : v.if_object();
            const auto* message = obj ? obj->if_contains("message") : nullptr;
            if (message && message->is_string() && message->as_string() == "ping") {
                s->state->control.emplace_back(ControlKind::kPong, std::string(kPong));
                s->state->wake.cancel();
            }
        }
        buffer.consume(n);
    }
    s->state->reader_done = true;
    s->state->wake.cancel();
}

template <class Stream>
asio::awaitable<void> channel_close(std::shared_ptr<ChannelSession<Stream>> s, std::uint16_t code,
                                    std::string reason) {
    auto& st = *s->state;
    websocket::close_reason why(static_cast<websocket::close_code>(code));
    why.reason = reason;
    auto [ec] = co_await s->ws.async_close(why, kUse);
    (void)ec;
    const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
    while (!st.reader_done && std::chrono::steady_clock::now() < deadline) {
        st.wake.expires_at(deadline);
        auto [wec] = co_await st.wake.async_wait(kUse);
        (void)wec;
    }
}

template <class Stream>
asio::awaitable<void> channel_write_loop(Impl& impl, std::shared_ptr<ChannelSession<Stream>> s) {
    using Clock = std::chrono::steady_clock;
    auto& ws = s->ws;
    auto& st = *s->state;
    const auto& o = impl.options;
    const auto heartbeat = std::chrono::milliseconds(o.heartbeat_ms);
    auto next_heartbeat = Clock::now() + heartbeat;
    const auto t0 = Clock::now();
    std::uint64_t sent = 0;
    ws.text(true);
    for (;;) {
        if (st.reader_done) {
            break;
        }
        const auto now = Clock::now();
        Channel* channel = impl.notifications.find(st.channel_id, now);  // expiry closes
        if (!channel && !st.close_requested) {
            st.close_requested = true;
            st.close_code = 1001;
            st.close_reason = "channel expired";
        }
        if (st.closing_at && now >= *st.closing_at && !st.close_requested) {
            st.close_requested = true;
            st.close_code = 1001;
            st.close_reason = "socket closing";
        }
        if (!st.stalled && !st.control.empty()) {
            const auto [kind, text] = st.control.front();
            st.control.pop_front();
            auto [ec, n] = co_await ws.async_write(asio::buffer(text), kUse);
            if (ec) {
                break;
            }
            (kind == ControlKind::kPong ? impl.counters.pongs : impl.counters.system_messages)++;
            impl.counters.messages_sent++;
            continue;
        }
        if (st.close_requested) {
            co_await channel_close(s, st.close_code, st.close_reason);
            break;
        }
        auto deadline = Clock::time_point::max();
        if (st.closing_at) {
            deadline = *st.closing_at;
        }
        if (st.stalled) {
            // Silent stall: the TCP connection stays open, nothing is written.
            st.wake.expires_at(deadline);
            auto [wec] = co_await st.wake.async_wait(kUse);
            (void)wec;
            continue;
        }
        if (now >= next_heartbeat) {
            auto [ec, n] = co_await ws.async_write(asio::buffer(kHeartbeat), kUse);
            if (ec) {
                break;
            }
            impl.counters.heartbeats++;
            impl.counters.messages_sent++;
            next_heartbeat = Clock::now() + heartbeat;
            continue;
        }
        deadline = std::min({deadline, next_heartbeat, channel->expires});
        if (impl.stream_socket == 0 && impl.serves_stream(*channel)) {
            impl.stream_socket = st.id;
            impl.begin_notification_stream(*channel);
        }
        if (impl.stream_socket == st.id) {
            bool due = true;
            if (o.rate > 0) {
                const auto at = t0 + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(
                                             static_cast<double>(sent) / o.rate));
                if (now < at) {
                    deadline = std::min(deadline, at);
                    due = false;
                }
            }
            if (due) {
                std::optional<std::string> message = impl.notification_current();
                if (st.stalled || st.close_requested || !st.control.empty()) {
                    continue;  // a planned fault became due: it goes first
                }
                if (!message) {
                    impl.finish_manifest();
                    co_await channel_close(s, 1000, "");
                    impl.write_manifest(true);
                    impl.mark_finished();
                    break;
                }
                auto [ec, n] = co_await ws.async_write(asio::buffer(*message), kUse);
                if (ec) {
                    break;  // the message stays pending for the next socket
                }
                impl.counters.messages_sent++;
                impl.counters.data_messages++;
                ++sent;
                if (impl.stream_socket == st.id) {
                    impl.pending.reset();
                    ++impl.next;
                }
                continue;
            }
        }
        st.wake.expires_at(deadline);
        auto [wec] = co_await st.wake.async_wait(kUse);
        (void)wec;
    }
    impl.sockets.erase(st.id);
    if (impl.stream_socket == st.id) {
        impl.stream_socket = 0;
    }
    const bool still_connected =
        std::any_of(impl.sockets.begin(), impl.sockets.end(),
                    [&](const auto& entry) { return entry.second->channel_id == st.channel_id; });
    if (!still_connected) {
        impl.notifications.set_connected(st.channel_id, false, Clock::now());
    }
}

template <class Stream>
asio::awaitable<void> serve_channel_socket(Impl& impl, Stream stream,
                                           http::request<http::string_body> request,
                                           std::string channel_id) {
    auto st = std::make_shared<Impl::ChannelSocket>(impl.ioc.get_executor());
    st->id = ++impl.session_ids;
    st->channel_id = std::move(channel_id);
    auto s = std::make_shared<ChannelSession<Stream>>(std::move(stream), st);
    auto& ws = s->ws;
    beast::get_lowest_layer(ws).expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = kWsHandshakeTimeout;
    // No idle timeout: the heartbeat is application-level, and a stall must keep the socket open.
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator([cid = random_uuid()](
                                                        websocket::response_type& res) {
        res.set("ININ-Correlation-Id", cid);
    }));
    // Registered before the 101 goes out, so that a fault applied as soon as the client sees the
    // upgrade reaches this socket, and a concurrent second upgrade is refused.
    impl.sockets[st->id] = st;
    impl.notifications.set_connected(st->channel_id, true, std::chrono::steady_clock::now());
    auto [ec] = co_await ws.async_accept(request, kUse);
    if (ec) {
        impl.sockets.erase(st->id);
        impl.notifications.set_connected(st->channel_id, false, std::chrono::steady_clock::now());
        co_return;
    }
    impl.counters.handshakes++;
    asio::co_spawn(ws.get_executor(), channel_read_loop(impl, s), log_exception);
    co_await channel_write_loop(impl, s);
}

// The upgrade check at connectUri: nullopt to accept (API-NOTES.md §3.4, §3.5).
std::optional<ApiResponse> check_channel_handshake(Impl& impl, std::string_view target,
                                                   std::string& channel_id) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (!path.starts_with(kChannelSocketPrefix)) {
        return error_body(404, "not.found", "The requested resource was not found.");
    }
    channel_id = std::string(path.substr(kChannelSocketPrefix.size()));
    if (impl.handshakes_seen++ < impl.options.handshake_401_count) {
        return error_body(401, "credentials.expired", "The authentication token has expired.");
    }
    if (!impl.notifications.find(channel_id, std::chrono::steady_clock::now())) {
        // A dead or unknown channel: the upgrade is refused with 401 (HAWK renews the channel).
        return error_body(401, "not.authorized", "The channel is unknown or has expired.");
    }
    for (const auto& [id, s] : impl.sockets) {
        if (s->channel_id == channel_id && !s->close_requested) {
            // One connection per channel (API-NOTES.md §3.5); one being closed does not count.
            return error_body(409, "conflict", "The channel already has a connection.");
        }
    }
    return std::nullopt;
}

// POST /emulator/control/faults {"fault":"<name>","count":N}
ApiResponse control_faults(Impl& impl, std::string_view body) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(body, ec);
    const auto* obj = ec ? nullptr : v.if_object();
    const auto* name = obj ? obj->if_contains("fault") : nullptr;
    std::optional<NotificationFault> fault;
    if (name && name->is_string()) {
        fault = parse_fault(std::string_view(name->as_string()));
    }
    std::int64_t count = 1;
    if (const auto* c = obj ? obj->if_contains("count") : nullptr) {
        count = c->is_int64() ? c->as_int64() : 0;
    }
    if (!fault || count < 1 || count > 1'000'000) {
        return error_body(400, "bad.request",
                          "Body must be {\"fault\": stall|resume|close1001|socket_closing|"
                          "duplicate|duplicate_exact|reorder|drop|token_revoked|"
                          "no_longer_subscribed, \"count\": N >= 1}.");
    }
    impl.apply_fault(*fault, static_cast<int>(count));
    ApiResponse r;
    r.body = boost::json::serialize(
        boost::json::object{{"fault", fault_name(*fault)}, {"count", count}});
    return r;
}

http::response<http::string_body> make_response(const ApiResponse& r, unsigned version,
                                                bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "genesys-stream-emulator");
    res.set(http::field::content_type, "application/json");
    res.set("ININ-Correlation-Id", random_uuid());
    for (const auto& [name, value] : r.headers) {
        res.set(name, value);
    }
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
}

asio::awaitable<void> close_stream(beast::tcp_stream& stream) {
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
}

asio::awaitable<void> close_stream(beast::ssl_stream<beast::tcp_stream>& stream) {
    beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
    auto [ec] = co_await stream.async_shutdown(kUse);
    (void)ec;  // a peer that just closes the socket is fine
}

template <class Stream>
asio::awaitable<void> serve_http(Impl& impl, Stream stream) {
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(kBodyLimit);
        beast::get_lowest_layer(stream).expires_after(kHttpReadTimeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUse);
        if (ec) {
            if (ec.category() == make_error_code(http::error::end_of_stream).category() &&
                ec != http::error::end_of_stream && ec != http::error::partial_message) {
                // A malformed request or over a limit: answer 400 once, then close.
                ApiResponse bad = error_body(400, "bad.request", "Malformed HTTP request.");
                auto res = make_response(bad, 11, false);
                beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
                auto [wec, wn] = co_await http::async_write(stream, res, kUse);
                (void)wec;
            }
            break;
        }
        http::request<http::string_body> request = parser.release();
        const auto now = std::chrono::steady_clock::now();
        if (websocket::is_upgrade(request) && impl.notifications_protocol()) {
            std::string channel_id;
            if (auto reject = check_channel_handshake(impl, sv(request.target()), channel_id)) {
                impl.counters.handshakes_rejected++;
                auto res = make_response(*reject, request.version(), false);
                beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
                auto [wec, wn] = co_await http::async_write(stream, res, kUse);
                (void)wec;
                break;
            }
            co_await serve_channel_socket(impl, std::move(stream), std::move(request),
                                          std::move(channel_id));
            co_return;
        }
        if (websocket::is_upgrade(request)) {
            if (auto reject = impl.api.check_handshake(sv(request.target()), now)) {
                auto res = make_response(*reject, request.version(), false);
                beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
                auto [wec, wn] = co_await http::async_write(stream, res, kUse);
                (void)wec;
                break;
            }
            co_await serve_websocket(impl, std::move(stream), std::move(request));
            co_return;
        }
        ApiRequest api_request{sv(request.method_string()), sv(request.target()),
                               sv(request[http::field::authorization]), request.body()};
        ApiResponse answer;
        const std::string_view path = api_request.target.substr(0, api_request.target.find('?'));
        if (impl.notifications_protocol() && path == kControlFaultsPath &&
            api_request.method == "POST") {
            answer = control_faults(impl, api_request.body);
        } else if (auto r = impl.notifications_protocol()
                                ? impl.notifications.handle(api_request, now,
                                                            std::chrono::system_clock::now())
                                : std::nullopt) {
            answer = std::move(*r);
        } else {
            answer = impl.api.handle(api_request, now);
        }
        auto res = make_response(answer, request.version(), request.keep_alive());
        beast::get_lowest_layer(stream).expires_after(kHttpWriteTimeout);
        auto [wec, wn] = co_await http::async_write(stream, res, kUse);
        if (wec) {
            co_return;
        }
        if (!res.keep_alive()) {
            break;
        }
    }
    co_await close_stream(stream);
}

asio::awaitable<void> serve_tls(Impl& impl, tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *impl.ssl);
    beast::get_lowest_layer(stream).expires_after(kTlsHandshakeTimeout);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kUse);
    if (ec) {
        co_return;
    }
    co_await serve_http(impl, std::move(stream));
}

asio::awaitable<void> accept_loop(Impl& impl) {
    asio::steady_timer backoff(impl.ioc);
    for (;;) {
        auto [ec, socket] = co_await impl.acceptor.async_accept(kUse);
        if (ec) {
            if (ec == asio::error::operation_aborted || !impl.acceptor.is_open()) {
                co_return;
            }
            // Out of descriptors and the like: do not spin.
            backoff.expires_after(100ms);
            auto [wec] = co_await backoff.async_wait(kUse);
            (void)wec;
            continue;
        }
        impl.counters.connections++;
        boost::system::error_code ignored;
        socket.set_option(asio::socket_base::send_buffer_size(impl.options.send_buffer_bytes),
                          ignored);
        if (impl.ssl) {
            asio::co_spawn(impl.ioc, serve_tls(impl, std::move(socket)), log_exception);
        } else {
            asio::co_spawn(impl.ioc, serve_http(impl, beast::tcp_stream(std::move(socket))),
                           log_exception);
        }
    }
}

std::vector<std::string> read_replay_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(fmt::format("cannot read replay file '{}' (--replay)", path));
    }
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (!line.empty()) {
            lines.push_back(std::move(line));
        }
    }
    if (in.bad()) {
        throw std::runtime_error(fmt::format("cannot read replay file '{}' (--replay)", path));
    }
    return lines;
}

void check_rate(double value, std::string_view flag) {
    if (!(value >= 0 && value <= 1)) {
        throw std::runtime_error(fmt::format("{} must be a fraction in 0..1", flag));
    }
}

}  // namespace

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    const EmulatorOptions& o = impl_->options;
    if (o.protocol != "envelope" && o.protocol != "notifications") {
        throw std::runtime_error(fmt::format(
            "unsupported protocol '{}': use envelope or notifications (--protocol)", o.protocol));
    }
    for (const auto& f : o.faults) {
        auto planned = parse_planned_fault(f);
        if (!planned) {
            throw std::runtime_error(fmt::format(
                "bad fault '{}': use KIND:AFTER[:COUNT], KIND one of stall, resume, close1001, "
                "socket_closing, duplicate, duplicate_exact, reorder, drop, token_revoked, "
                "no_longer_subscribed (--fault)",
                f));
        }
        impl_->plan.push_back(*planned);
    }
    if (o.heartbeat_ms <= 0 || o.channel_ttl_ms <= 0 || o.socket_closing_delay_ms < 0) {
        throw std::runtime_error(
            "--heartbeat-ms and --channel-ttl-ms must be > 0, --socket-closing-delay-ms >= 0");
    }
    if (o.max_channels == 0 || o.max_topics == 0 || o.channel_create_429_count < 0) {
        throw std::runtime_error(
            "--max-channels and --max-topics must be >= 1, --channel-create-429 >= 0");
    }
    const auto colon = o.listen.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        throw std::runtime_error(fmt::format("--listen must be HOST:PORT, got '{}'", o.listen));
    }
    std::string host = o.listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    boost::system::error_code ec;
    impl_->address = asio::ip::make_address(host, ec);
    const std::string port_text = o.listen.substr(colon + 1);
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(port_text, &used);
        if (used != port_text.size()) {
            port = 70000;
        }
    } catch (const std::exception&) {
        port = 70000;
    }
    if (ec || port > 65535) {
        throw std::runtime_error(
            fmt::format("--listen must be IP:PORT (port 0..65535), got '{}'", o.listen));
    }
    impl_->requested_port = static_cast<unsigned short>(port);
    if (o.drop_mode != "close1001" && o.drop_mode != "abrupt") {
        throw std::runtime_error(fmt::format(
            "unknown drop mode '{}': use close1001 or abrupt (--drop-mode)", o.drop_mode));
    }
    check_rate(o.malformed_rate, "--malformed-rate");
    check_rate(o.schema_invalid_rate, "--schema-invalid-rate");
    check_rate(o.duplicate_rate, "--duplicate-rate");
    check_rate(o.bad_timestamp_rate, "--bad-timestamp-rate");
    check_rate(o.duplicate_key_rate, "--duplicate-key-rate");
    if (o.schema_invalid_rate + o.bad_timestamp_rate + o.duplicate_key_rate > 1) {
        throw std::runtime_error(
            "--schema-invalid-rate + --bad-timestamp-rate + --duplicate-key-rate must not exceed 1");
    }
    if (!(o.rate >= 0)) {
        throw std::runtime_error("--rate must be >= 0 (0 = as fast as the client reads)");
    }
    if (o.events_per_message == 0) {
        throw std::runtime_error("--events-per-message must be at least 1");
    }
    if (o.queue_count == 0) {
        throw std::runtime_error("--queues must be at least 1");
    }
    if (o.max_out_of_order_ms < 0) {
        throw std::runtime_error("--max-out-of-order-ms must be >= 0");
    }
    if (o.token_ttl_s <= 0 || o.retry_after_s < 0 || o.send_buffer_bytes <= 0 ||
        o.handshake_401_count < 0 || o.subscribe_429_count < 0) {
        throw std::runtime_error(
            "--token-ttl and --send-buffer must be > 0; --retry-after, --handshake-401 and "
            "--subscribe-429 must be >= 0");
    }
    if (o.replay_file) {
        if (o.manifest_file) {
            throw std::runtime_error("--manifest needs generator mode (no --replay)");
        }
        impl_->replay_lines = read_replay_file(*o.replay_file);
    }
    if (o.tls_cert.has_value() != o.tls_key.has_value()) {
        throw std::runtime_error("--tls-cert and --tls-key go together");
    }
    if (o.tls_cert) {
        auto& ctx = impl_->ssl.emplace(asio::ssl::context::tls_server);
        ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
        ctx.use_certificate_chain_file(*o.tls_cert, ec);
        if (ec) {
            throw std::runtime_error(fmt::format("cannot load TLS certificate '{}' (--tls-cert): {}",
                                                 *o.tls_cert, ec.message()));
        }
        ctx.use_private_key_file(*o.tls_key, asio::ssl::context::pem, ec);
        if (ec) {
            throw std::runtime_error(fmt::format("cannot load TLS key '{}' (--tls-key): {}",
                                                 *o.tls_key, ec.message()));
        }
    }
}

Emulator::~Emulator() { stop(); }

void Emulator::start() {
    Impl& impl = *impl_;
    {
        std::lock_guard lock(impl.mu);
        if (impl.started) {
            throw std::runtime_error("emulator already started");
        }
        impl.started = true;
    }
    const tcp::endpoint endpoint(impl.address, impl.requested_port);
    boost::system::error_code ec;
    impl.acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        impl.acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        throw std::runtime_error(
            fmt::format("cannot listen on {} (--listen): {}", impl.options.listen, ec.message()));
    }
    impl.port = impl.acceptor.local_endpoint().port();
    {
        const std::string origin_text = origin();
        impl.notifications.set_socket_origin((impl.ssl ? "wss" : "ws") +
                                             origin_text.substr(origin_text.find("://")));
        impl.notifications.on_channel_gone(
            [&impl](const std::string& id, ChannelGone why) { impl.channel_gone(id, why); });
        impl.notifications.on_subscriptions_changed(
            [&impl](const std::string&) { impl.wake_all(); });
    }
    asio::co_spawn(impl.ioc, accept_loop(impl), log_exception);
    impl.thread = std::thread([&impl] { impl.ioc.run(); });
}

unsigned short Emulator::port() const { return impl_->port.load(); }

std::string Emulator::origin() const {
    const std::string host = impl_->address.is_v6()
                                 ? "[" + impl_->address.to_string() + "]"
                                 : impl_->address.to_string();
    return fmt::format("{}://{}:{}", impl_->ssl ? "https" : "http", host, port());
}

void Emulator::stop() {
    Impl& impl = *impl_;
    {
        std::lock_guard lock(impl.mu);
        if (impl.stopped || !impl.started) {
            impl.stopped = true;
            return;
        }
        impl.stopped = true;
    }
    impl.ioc.stop();
    if (impl.thread.joinable()) {
        impl.thread.join();
    }
    impl.finish_manifest();
    {
        std::lock_guard lock(impl.mu);
        impl.cv.notify_all();
    }
}

Stats Emulator::stats() const {
    const Counters& c = impl_->counters;
    Stats s;
    s.tokens_issued = c.tokens_issued.load();
    s.subscriptions = c.subscriptions.load();
    s.subscriptions_rejected = c.subscriptions_rejected.load();
    s.handshakes = c.handshakes.load();
    s.handshakes_rejected = c.handshakes_rejected.load();
    s.messages_sent = c.messages_sent.load();
    s.connections = c.connections.load();
    s.drops = c.drops.load();
    s.resent = c.resent.load();
    s.channels_created = c.channels_created.load();
    s.channels_evicted = c.channels_evicted.load();
    s.channels_expired = c.channels_expired.load();
    s.heartbeats = c.heartbeats.load();
    s.pongs = c.pongs.load();
    s.system_messages = c.system_messages.load();
    s.data_messages = c.data_messages.load();
    s.faults_injected = c.faults_injected.load();
    return s;
}

void Emulator::inject(NotificationFault fault, int count) {
    Impl& impl = *impl_;
    asio::post(impl.ioc, [&impl, fault, count] { impl.apply_fault(fault, count); });
}

bool Emulator::finished() const {
    std::lock_guard lock(impl_->mu);
    return impl_->finished;
}

bool Emulator::wait_finished(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mu);
    impl_->cv.wait_for(lock, timeout, [this] { return impl_->finished; });
    return impl_->finished;
}

}  // namespace gstream::emulator
