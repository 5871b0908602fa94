#pragma once
// NATS JetStream sink (`type: nats`, docs/sinks/nats.md): publishes each event of a batch to a
// stream and answers kOk once the stream has acknowledged every one.
//
// Delivery: every message carries `Nats-Msg-Id: <event id>`, so JetStream drops a re-send within
// the stream's duplicate_window (an ack with `"duplicate": true`, counted in duplicates() and as
// delivered). The driver resends a whole batch after kRetry; the ids make that harmless: the
// stream holds each event once as long as the outage is shorter than the window.
//
// Publishing: up to `max_in_flight` messages are sent ahead of their acks, in batch order, on one
// connection. Acks come back on one inbox subscription of this sink (`_INBOX.<nuid>.<n>`, `n` a
// number that only grows, so a late ack of an earlier attempt is told apart and ignored) and are
// read by the calling thread: no callback threads, no state shared with nats.c's threads. (nats.c's
// js_PublishMsgAsync does the same with a callback thread; the inbox read here keeps the batch's
// bookkeeping on one thread.) An ack not back within `ack_timeout_ms` of its publish ends the
// attempt: kRetry, and the connection is closed so that the next attempt starts on a new one.
//
// Order: the connection does not reconnect by itself (nats.c's reconnect would resend what it
// buffered while disconnected after messages lost with the old connection, which breaks order);
// after a loss the next write_batch() connects again and publishes the batch from its start.
// Events of one conversation therefore reach their subject in order, retries included, unless the
// stream refuses one message and stores a later one of the same attempt (a per-message store
// error; then the retry stores the refused one after it).
//
// Sizes: a message whose body plus headers exceed the server's max_payload
// (natsConnection_GetMaxPayload; the server would close the connection, DELIVERY-NOTES §5) is not
// sent: it is reported by take_rejected() with "too_large: ...", and so is one the stream refuses
// as over its max_msg_size (JetStream error 10054).
//
// Start: the constructor tries to connect once. A server that refuses the credentials, or a
// stream that does not exist (without create_stream), is a start-up error (std::runtime_error
// naming the key to change). Unreachable servers are not: the sink starts and connects at its
// first write_batch() (kRetry while they stay unreachable), so the daemon starts and the
// write-ahead log holds the events meanwhile.
//
// Thread-safety: one thread calls every member (Sink's contract).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "sink/nats/nats_config.hpp"
#include "sink/nats/nats_formatter.hpp"
#include "sink/sink.hpp"

namespace gstream::sink::nats {

/// The sink named by `config` (type nats): make_sink() of sink_registry.hpp. Throws
/// std::runtime_error naming the sink and the cause (bad settings, credentials refused, stream
/// missing).
std::unique_ptr<Sink> make_nats_sink(const config::SinkConfig& config);
/// Offline checks of a `type: nats` sink (check_nats_config()); for check_sink().
std::string check_nats_sink(const config::SinkConfig& config);

class NatsSink final : public Sink {
public:
    /// Throws std::runtime_error as described above.
    explicit NatsSink(NatsSinkConfig config);
    ~NatsSink() override;
    NatsSink(const NatsSink&) = delete;
    NatsSink& operator=(const NatsSink&) = delete;

    std::string_view name() const override { return config_.name; }
    SinkResult write_batch(std::span<const core::Event> events) override;
    std::string last_error() const override { return last_error_; }
    std::vector<RejectedEvent> take_rejected() override;

    /// Acks that said `duplicate` (a re-send the stream had already), counted as delivered.
    std::uint64_t duplicates() const noexcept { return duplicates_; }
    /// Messages the stream acknowledged as new.
    std::uint64_t stored() const noexcept { return stored_; }
    /// Connections made (the first one included).
    std::uint64_t connections() const noexcept { return connections_; }

private:
    struct Connection;
    enum class ConnectOutcome { kConnected, kUnreachable, kFatal };
    ConnectOutcome connect();
    void disconnect();
    SinkResult fail(std::string error, bool drop_connection);

    NatsSinkConfig config_;
    NatsFormatter formatter_;
    std::string subject_wildcard_;  // the subjects this sink publishes to, as a wildcard
    std::unique_ptr<Connection> connection_;
    std::vector<NatsMessage> messages_;  // the batch's messages, buffers reused
    std::vector<RejectedEvent> rejected_;
    std::string last_error_;
    std::uint64_t next_token_ = 0;  // the reply token of the next publish
    std::uint64_t duplicates_ = 0;
    std::uint64_t stored_ = 0;
    std::uint64_t connections_ = 0;
};

}  // namespace gstream::sink::nats
