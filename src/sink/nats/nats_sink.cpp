#include "sink/nats/nats_sink.hpp"

#include <nats/nats.h>

#include <charconv>
#include <chrono>
#include <stdexcept>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "ops/logging.hpp"

namespace gstream::sink::nats {
namespace {

// nats.c handles, each with its destroy function (STYLE.md rule 11).
template <auto Destroy>
struct Deleter {
    template <typename T>
    void operator()(T* p) const noexcept {
        Destroy(p);
    }
};
using OptionsPtr = std::unique_ptr<natsOptions, Deleter<&natsOptions_Destroy>>;
using ConnectionPtr = std::unique_ptr<natsConnection, Deleter<&natsConnection_Destroy>>;
using JetStreamPtr = std::unique_ptr<jsCtx, Deleter<&jsCtx_Destroy>>;
using SubscriptionPtr = std::unique_ptr<natsSubscription, Deleter<&natsSubscription_Destroy>>;
using MessagePtr = std::unique_ptr<natsMsg, Deleter<&natsMsg_Destroy>>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, Deleter<&jsStreamInfo_Destroy>>;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// nats.c's text for the last error of this thread, or the status's.
std::string last_nats_error(natsStatus s) {
    natsStatus last = NATS_OK;
    const char* text = nats_GetLastError(&last);
    if (text != nullptr && *text != '\0') {
        // nats.c prefixes "(conn.c:1905): ": where in its sources, not for operators.
        std::string_view t(text);
        if (t.starts_with('(')) {
            if (const std::size_t end = t.find("): "); end != std::string_view::npos) {
                t.remove_prefix(end + 3);
            }
        }
        return std::string(t);
    }
    return natsStatus_GetText(s);
}

// JetStream API error codes (nats-server errors.json; nats.c status.h jsErrCode).
constexpr int kStreamNotFound = 10059;
constexpr int kMessageExceedsMaximum = 10054;

std::string auth_keys(const NatsSinkConfig& c) {
    if (!c.creds_file.empty()) {
        return "creds_file";
    }
    if (!c.nkey_seed_file.empty()) {
        return "nkey and nkey_seed_file";
    }
    if (!c.token.empty()) {
        return "token";
    }
    if (!c.user.empty()) {
        return "user and password";
    }
    return "the authentication keys (creds_file, nkey_seed_file, token, user)";
}

}  // namespace

struct NatsSink::Connection {
    // Destroyed in reverse: the subscription and the JetStream context before the connection.
    ConnectionPtr nc;
    JetStreamPtr js;
    SubscriptionPtr acks;
    std::string inbox;  // "_INBOX.<nuid>."; an ack's subject is inbox + token
    std::int64_t max_payload = 0;
};

std::unique_ptr<Sink> make_nats_sink(const config::SinkConfig& config) {
    NatsSinkConfig c = read_nats_config(config);
    if (std::string problem = check_nats_config(c); !problem.empty()) {
        throw std::runtime_error(problem);
    }
    return std::make_unique<NatsSink>(std::move(c));
}

std::string check_nats_sink(const config::SinkConfig& config) {
    return check_nats_config(read_nats_config(config));
}

NatsSink::NatsSink(NatsSinkConfig config)
    : config_(std::move(config))
    , formatter_(
          [this] {
              std::string error;
              std::optional<SubjectTemplate> t = SubjectTemplate::parse(config_.subject, error);
              if (!t) {
                  throw std::runtime_error(fmt::format("sink '{}': subject '{}': {}",
                                                       config_.name, config_.subject, error));
              }
              return std::move(*t);
          }(),
          format::EncoderOptions{config_.format}) {
    std::string error;
    subject_wildcard_ = SubjectTemplate::parse(config_.subject, error)->wildcard();
    switch (connect()) {
        case ConnectOutcome::kConnected:
            break;
        case ConnectOutcome::kUnreachable:
            ops::logger("sink")->warn(
                "NATS servers unreachable at start; the sink connects at its first write. "
                "sink={} error=\"{}\"",
                config_.name, last_error_);
            break;
        case ConnectOutcome::kFatal:
            throw std::runtime_error(fmt::format("sink '{}': {}", config_.name, last_error_));
    }
}

NatsSink::~NatsSink() {
    if (connections_ > 0) {
        ops::logger("sink")->info("NATS sink closed. sink={} stored={} duplicates={} connections={}",
                                  config_.name, stored_, duplicates_, connections_);
    }
    disconnect();
}

std::vector<RejectedEvent> NatsSink::take_rejected() {
    std::vector<RejectedEvent> out;
    out.swap(rejected_);
    return out;
}

void NatsSink::disconnect() {
    connection_.reset();
}

SinkResult NatsSink::fail(std::string error, bool drop_connection) {
    last_error_ = std::move(error);
    if (drop_connection) {
        disconnect();
    }
    return SinkResult::kRetry;
}

NatsSink::ConnectOutcome NatsSink::connect() {
    disconnect();
    const NatsSinkConfig& c = config_;
    natsOptions* raw_options = nullptr;
    natsStatus s = natsOptions_Create(&raw_options);
    OptionsPtr options(raw_options);
    std::vector<const char*> urls;
    for (const std::string& url : c.servers) {
        urls.push_back(url.c_str());
    }
    const std::string client_name = "genesys-stream/" + c.name;
    if (s == NATS_OK) {
        s = natsOptions_SetServers(options.get(), urls.data(), static_cast<int>(urls.size()));
    }
    if (s == NATS_OK) {
        s = natsOptions_SetName(options.get(), client_name.c_str());
    }
    if (s == NATS_OK) {
        s = natsOptions_SetTimeout(options.get(), c.connect_timeout_ms);
    }
    // No reconnect by nats.c (see the header: order after a loss); this sink connects again.
    if (s == NATS_OK) {
        s = natsOptions_SetAllowReconnect(options.get(), false);
    }
    // A silent dead connection is found within ~30 s even without publishes.
    if (s == NATS_OK) {
        s = natsOptions_SetPingInterval(options.get(), 10'000);
    }
    if (s == NATS_OK) {
        s = natsOptions_SetMaxPingsOut(options.get(), 2);
    }
    if (s == NATS_OK && !c.creds_file.empty()) {
        s = natsOptions_SetUserCredentialsFromFiles(options.get(), c.creds_file.c_str(), nullptr);
    }
    if (s == NATS_OK && !c.nkey_seed_file.empty()) {
        s = natsOptions_SetNKeyFromSeed(options.get(), c.nkey.c_str(), c.nkey_seed_file.c_str());
    }
    if (s == NATS_OK && !c.token.empty()) {
        s = natsOptions_SetToken(options.get(), c.token.c_str());
    }
    if (s == NATS_OK && !c.user.empty()) {
        s = natsOptions_SetUserInfo(options.get(), c.user.c_str(), c.password.c_str());
    }
    if (s == NATS_OK && c.secure()) {
        // Verification of the certificate chain and of the host name stays on (nats.c's
        // default; natsOptions_SkipServerVerification is never called).
        s = natsOptions_SetSecure(options.get(), true);
        if (s == NATS_OK && c.tls && !c.tls->ca_file.empty()) {
            s = natsOptions_LoadCATrustedCertificates(options.get(), c.tls->ca_file.c_str());
        }
        if (s == NATS_OK && c.tls && !c.tls->cert_file.empty()) {
            s = natsOptions_LoadCertificatesChain(options.get(), c.tls->cert_file.c_str(),
                                                  c.tls->key_file.c_str());
        }
        if (s == NATS_OK && c.tls && !c.tls->server_name.empty()) {
            s = natsOptions_SetExpectedHostname(options.get(), c.tls->server_name.c_str());
        }
    }
    if (s != NATS_OK) {
        last_error_ = "NATS options refused (check tls, creds_file, nkey_seed_file): " +
                      last_nats_error(s);
        return ConnectOutcome::kFatal;
    }

    auto conn = std::make_unique<Connection>();
    natsConnection* raw_nc = nullptr;
    s = natsConnection_Connect(&raw_nc, options.get());
    conn->nc.reset(raw_nc);
    if (s != NATS_OK) {
        const std::string text = last_nats_error(s);
        switch (s) {
            case NATS_CONNECTION_AUTH_FAILED:
            case NATS_NOT_PERMITTED:
                last_error_ = fmt::format("the NATS server refused the credentials ({}): check {}",
                                          text, auth_keys(c));
                return ConnectOutcome::kFatal;
            case NATS_SSL_ERROR:
            case NATS_SECURE_CONNECTION_WANTED:
            case NATS_SECURE_CONNECTION_REQUIRED:
                last_error_ = fmt::format(
                    "TLS with the NATS server failed ({}): check servers (tls://) and tls "
                    "(ca_file, server_name)",
                    text);
                return ConnectOutcome::kFatal;
            default:
                last_error_ = fmt::format("cannot connect to the NATS servers {}: {}",
                                          fmt::join(c.servers, ","), text);
                return ConnectOutcome::kUnreachable;
        }
    }

    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = c.ack_timeout_ms;  // JetStream API calls (stream info, create)
    jsCtx* raw_js = nullptr;
    s = natsConnection_JetStream(&raw_js, conn->nc.get(), &js_options);
    conn->js.reset(raw_js);
    if (s != NATS_OK) {
        last_error_ = "JetStream context: " + last_nats_error(s);
        return ConnectOutcome::kUnreachable;
    }

    // The stream: it must exist, or be created from create_stream.
    jsStreamInfo* raw_info = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_GetStreamInfo(&raw_info, conn->js.get(), c.stream.c_str(), nullptr, &jerr);
    StreamInfoPtr info(raw_info);
    if ((s == NATS_NOT_FOUND || static_cast<int>(jerr) == kStreamNotFound) && c.create_stream) {
        const CreateStreamConfig& cs = *c.create_stream;
        std::vector<const char*> subjects;
        for (const std::string& subject : cs.subjects) {
            subjects.push_back(subject.c_str());
        }
        jsStreamConfig stream_config;
        jsStreamConfig_Init(&stream_config);
        stream_config.Name = c.stream.c_str();
        stream_config.Subjects = subjects.data();
        stream_config.SubjectsLen = static_cast<int>(subjects.size());
        stream_config.Storage = cs.memory_storage ? js_MemoryStorage : js_FileStorage;
        stream_config.Duplicates = cs.duplicate_window_ms * 1'000'000;  // nanoseconds
        stream_config.Replicas = cs.replicas;
        jerr = static_cast<jsErrCode>(0);
        raw_info = nullptr;
        s = js_AddStream(&raw_info, conn->js.get(), &stream_config, nullptr, &jerr);
        info.reset(raw_info);
        if (s != NATS_OK) {
            last_error_ = fmt::format("cannot create stream '{}' (create_stream): {}", c.stream,
                                      last_nats_error(s));
            return ConnectOutcome::kFatal;
        }
        ops::logger("sink")->info("NATS stream created. sink={} stream={} subjects={}", c.name,
                                  c.stream, fmt::join(cs.subjects, ","));
    } else if (s == NATS_NOT_FOUND || static_cast<int>(jerr) == kStreamNotFound) {
        last_error_ = fmt::format(
            "stream '{}' does not exist on the NATS server: create it, or set create_stream",
            c.stream);
        return ConnectOutcome::kFatal;
    } else if (s != NATS_OK) {
        last_error_ = fmt::format("JetStream stream info of '{}': {}", c.stream,
                                  last_nats_error(s));
        return ConnectOutcome::kUnreachable;
    }
    // The stream must take the subjects this sink publishes (else every publish would find no
    // responder).
    if (info != nullptr && info->Config != nullptr) {
        const std::string& wildcard = subject_wildcard_;
        bool covered = false;
        for (int i = 0; i < info->Config->SubjectsLen; ++i) {
            covered = covered || subject_covers(info->Config->Subjects[i], wildcard);
        }
        if (info->Config->SubjectsLen == 0) {
            covered = subject_covers(c.stream, wildcard);
        }
        if (!covered) {
            last_error_ = fmt::format(
                "stream '{}' does not take the subject '{}' (as '{}'): add it to the stream's "
                "subjects, or change subject",
                c.stream, c.subject, wildcard);
            return ConnectOutcome::kFatal;
        }
    }

    natsInbox* inbox = nullptr;
    s = natsInbox_Create(&inbox);
    if (s == NATS_OK) {
        conn->inbox = std::string(inbox) + ".";
        natsInbox_Destroy(inbox);
        natsSubscription* raw_sub = nullptr;
        s = natsConnection_SubscribeSync(&raw_sub, conn->nc.get(), (conn->inbox + "*").c_str());
        conn->acks.reset(raw_sub);
    }
    if (s != NATS_OK) {
        last_error_ = "ack subscription: " + last_nats_error(s);
        return ConnectOutcome::kUnreachable;
    }
    conn->max_payload = natsConnection_GetMaxPayload(conn->nc.get());
    char url[256] = {};
    natsConnection_GetConnectedUrl(conn->nc.get(), url, sizeof(url));
    ops::logger("sink")->info("Connected to NATS JetStream. sink={} url={} stream={} max_payload={}",
                              c.name, url, c.stream, conn->max_payload);
    connection_ = std::move(conn);
    ++connections_;
    return ConnectOutcome::kConnected;
}

SinkResult NatsSink::write_batch(std::span<const core::Event> events) {
    rejected_.clear();
    if (events.empty()) {
        return SinkResult::kOk;
    }
    if (connection_ == nullptr && connect() != ConnectOutcome::kConnected) {
        return SinkResult::kRetry;  // last_error_ says why
    }
    Connection& conn = *connection_;
    const std::size_t n = events.size();

    // Every message is formatted and measured before the first is sent: one the server would
    // refuse (and drop the connection for) is never sent.
    enum : std::uint8_t { kPending, kDone };
    if (messages_.size() < n) {
        messages_.resize(n);
    }
    std::vector<std::uint8_t> state(n, kPending);
    std::vector<std::int64_t> deadline(n, 0);
    std::size_t remaining = n;
    std::string error;
    for (std::size_t i = 0; i < n; ++i) {
        NatsMessage& m = messages_[i];
        if (!formatter_.format(events[i], m, error)) {
            rejected_.push_back({i, error});
            state[i] = kDone;
            --remaining;
            continue;
        }
        const std::size_t headers = encoded_headers_size(m.headers);
        if (static_cast<std::int64_t>(m.body.size() + headers) > conn.max_payload) {
            rejected_.push_back(
                {i, fmt::format("too_large: {} bytes (body {} + headers {}) over the NATS "
                                "server's max_payload of {} bytes",
                                m.body.size() + headers, m.body.size(), headers,
                                conn.max_payload)});
            state[i] = kDone;
            --remaining;
        }
    }

    const std::uint64_t base = next_token_;
    next_token_ += n;
    const auto max_in_flight = static_cast<std::size_t>(config_.max_in_flight);
    std::size_t next = 0;         // the next message to publish
    std::size_t oldest = 0;       // no message below it awaits an ack
    std::size_t outstanding = 0;  // published, ack not yet read
    std::string reply;
    while (remaining > 0) {
        while (next < n && outstanding < max_in_flight) {
            if (state[next] != kPending) {
                ++next;
                continue;
            }
            const NatsMessage& m = messages_[next];
            reply = conn.inbox;
            reply += std::to_string(base + next);
            natsMsg* raw = nullptr;
            natsStatus s = natsMsg_Create(&raw, m.subject.c_str(), reply.c_str(), m.body.data(),
                                          static_cast<int>(m.body.size()));
            MessagePtr msg(raw);
            for (std::size_t h = 0; s == NATS_OK && h < m.headers.size(); ++h) {
                s = natsMsgHeader_Set(msg.get(), m.headers[h].first.c_str(),
                                      m.headers[h].second.c_str());
            }
            if (s == NATS_OK) {
                s = natsConnection_PublishMsg(conn.nc.get(), msg.get());
            }
            if (s != NATS_OK) {
                return fail(fmt::format("publish to '{}': {}", m.subject, last_nats_error(s)),
                            true);
            }
            deadline[next] = now_ms() + config_.ack_timeout_ms;
            ++outstanding;
            ++next;
        }
        while (state[oldest] != kPending) {
            ++oldest;  // stops at a published message: remaining > 0 and every one below next
        }
        const std::int64_t wait_ms = deadline[oldest] - now_ms();
        if (wait_ms <= 0) {
            return fail(fmt::format("no JetStream ack within ack_timeout_ms ({} ms) for a "
                                    "publish to '{}'; reconnecting",
                                    config_.ack_timeout_ms, messages_[oldest].subject),
                        true);
        }
        natsMsg* raw_ack = nullptr;
        const natsStatus s = natsSubscription_NextMsg(&raw_ack, conn.acks.get(), wait_ms);
        MessagePtr ack(raw_ack);
        if (s == NATS_TIMEOUT) {
            continue;
        }
        if (s != NATS_OK) {
            return fail("connection to the NATS server lost: " + last_nats_error(s), true);
        }
        // Which publish it answers: the token after the inbox prefix.
        const std::string_view subject = natsMsg_GetSubject(ack.get());
        std::uint64_t token = 0;
        if (subject.size() <= conn.inbox.size() ||
            std::from_chars(subject.data() + conn.inbox.size(), subject.data() + subject.size(),
                            token)
                    .ec != std::errc() ||
            token < base || token - base >= next || state[token - base] != kPending) {
            continue;  // an ack of an earlier attempt, or a repeat
        }
        const std::size_t i = token - base;
        if (natsMsg_IsNoResponders(ack.get())) {
            return fail(fmt::format("no JetStream stream takes subject '{}' (no responders): add "
                                    "it to the subjects of stream '{}'",
                                    messages_[i].subject, config_.stream),
                        false);
        }
        boost::system::error_code ec;
        const boost::json::value body = boost::json::parse(
            std::string_view(natsMsg_GetData(ack.get()),
                             static_cast<std::size_t>(natsMsg_GetDataLength(ack.get()))),
            ec);
        if (ec || !body.is_object()) {
            return fail(fmt::format("unreadable JetStream ack for '{}'", messages_[i].subject),
                        false);
        }
        const boost::json::object& o = body.get_object();
        if (const boost::json::value* err = o.if_contains("error")) {
            std::int64_t code = 0;
            std::string description;
            if (err->is_object()) {
                if (const auto* c = err->get_object().if_contains("err_code");
                    c != nullptr && c->is_int64()) {
                    code = c->get_int64();
                }
                if (const auto* d = err->get_object().if_contains("description");
                    d != nullptr && d->is_string()) {
                    description = std::string(d->get_string());
                }
            }
            if (code == kMessageExceedsMaximum) {
                rejected_.push_back(
                    {i, fmt::format("too_large: stream '{}' refused {} bytes: {}", config_.stream,
                                    messages_[i].body.size(), description)});
            } else {
                return fail(fmt::format("stream '{}' refused a publish to '{}': {} (err_code {})",
                                        config_.stream, messages_[i].subject, description, code),
                            false);
            }
        } else {
            const boost::json::value* duplicate = o.if_contains("duplicate");
            if (duplicate != nullptr && duplicate->is_bool() && duplicate->get_bool()) {
                ++duplicates_;
            } else {
                ++stored_;
            }
        }
        state[i] = kDone;
        --outstanding;
        --remaining;
    }
    last_error_.clear();
    return SinkResult::kOk;
}

}  // namespace gstream::sink::nats
