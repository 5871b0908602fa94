#include "emulator/emulate_command.hpp"

#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <string>

#include <pthread.h>

#include <CLI/CLI.hpp>

#include "emulator/emulator.hpp"

namespace gstream::emulator {
namespace {

struct CommandOptions {
    EmulatorOptions o;
    std::string replay, client_id, client_secret, tls_cert, tls_key, manifest;
    bool stay = false;  // --stay: keep serving after the whole stream was written
};

int run_emulate(const CommandOptions& c) {
    EmulatorOptions o = c.o;
    auto optional = [](const std::string& s) {
        return s.empty() ? std::nullopt : std::optional<std::string>(s);
    };
    o.replay_file = optional(c.replay);
    o.client_id = optional(c.client_id);
    o.client_secret = optional(c.client_secret);
    o.tls_cert = optional(c.tls_cert);
    o.tls_key = optional(c.tls_key);
    o.manifest_file = optional(c.manifest);

    // Block the stop signals before the server thread exists, so that it inherits the mask and
    // only sigtimedwait below sees them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &signals, &previous);

    int rc = 0;
    try {
        Emulator emulator(o);
        emulator.start();
        const std::string origin = emulator.origin();
        std::printf("listening %s\n", origin.substr(origin.find("://") + 3).c_str());
        std::fflush(stdout);
        for (;;) {
            if (!c.stay && emulator.wait_finished(std::chrono::milliseconds(50))) {
                break;
            }
            const timespec no_wait{0, 0};
            const timespec signal_wait{0, 50'000'000};  // --stay: only a signal ends it
            const int sig = sigtimedwait(&signals, nullptr, c.stay ? &signal_wait : &no_wait);
            if (sig == SIGINT || sig == SIGTERM) {
                break;
            }
        }
        emulator.stop();
        const Stats s = emulator.stats();
        std::fprintf(stderr,
                     "emulator stopped tokens=%llu subscriptions=%llu handshakes=%llu "
                     "handshakes_rejected=%llu messages_sent=%llu connections=%llu drops=%llu\n",
                     static_cast<unsigned long long>(s.tokens_issued),
                     static_cast<unsigned long long>(s.subscriptions),
                     static_cast<unsigned long long>(s.handshakes),
                     static_cast<unsigned long long>(s.handshakes_rejected),
                     static_cast<unsigned long long>(s.messages_sent),
                     static_cast<unsigned long long>(s.connections),
                     static_cast<unsigned long long>(s.drops));
        if (o.protocol == "notifications") {
            std::fprintf(stderr,
                         "emulator notifications channels_created=%llu channels_evicted=%llu "
                         "channels_expired=%llu data_messages=%llu heartbeats=%llu pongs=%llu "
                         "system_messages=%llu faults_injected=%llu\n",
                         static_cast<unsigned long long>(s.channels_created),
                         static_cast<unsigned long long>(s.channels_evicted),
                         static_cast<unsigned long long>(s.channels_expired),
                         static_cast<unsigned long long>(s.data_messages),
                         static_cast<unsigned long long>(s.heartbeats),
                         static_cast<unsigned long long>(s.pongs),
                         static_cast<unsigned long long>(s.system_messages),
                         static_cast<unsigned long long>(s.faults_injected));
        }
    } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "genesys-stream emulate: %s\n", e.what());
        rc = 2;
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return rc;
}

}  // namespace

void register_emulate_command(CLI::App& app) {
    auto c = std::make_shared<CommandOptions>();
    CLI::App* cmd = app.add_subcommand(
        "emulate",
        "Run the Genesys Cloud emulator (envelope or notifications protocol, docs/emulator.md)");
    EmulatorOptions& o = c->o;
    cmd->add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 = any free port)")
        ->capture_default_str();
    cmd->add_option("--protocol", o.protocol, "Protocol to serve: envelope or notifications")
        ->capture_default_str();
    cmd->add_option("--replay", c->replay, "Send each non-empty line of this file as a message");
    cmd->add_option("--rate", o.rate, "Messages per second (0 = as fast as the client reads)")
        ->capture_default_str();
    cmd->add_option("--replay-resume-overlap", o.replay_resume_overlap,
                    "Envelope replay: a new connection resumes N messages before the last one "
                    "written (upstream redelivery, for crash tests)")
        ->capture_default_str();
    cmd->add_flag("--stay", c->stay,
                  "Keep serving after the whole stream was written, until SIGINT/SIGTERM (a "
                  "reconnecting client gets the --replay-resume-overlap resend)");
    cmd->add_option("--client-id", c->client_id, "Client id token requests must present");
    cmd->add_option("--client-secret", c->client_secret, "Client secret token requests must present");
    cmd->add_option("--tls-cert", c->tls_cert, "PEM certificate chain: serve https and wss");
    cmd->add_option("--tls-key", c->tls_key, "PEM private key of --tls-cert");
    cmd->add_option("--token-ttl", o.token_ttl_s, "expires_in of issued tokens, seconds")
        ->capture_default_str();
    cmd->add_option("--events", o.events, "Lifecycle events to generate")->capture_default_str();
    cmd->add_option("--events-per-message", o.events_per_message, "Events per envelope")
        ->capture_default_str();
    cmd->add_option("--seed", o.seed, "Generator seed")->capture_default_str();
    cmd->add_option("--queues", o.queue_count, "Number of queues")->capture_default_str();
    cmd->add_option("--malformed-rate", o.malformed_rate, "Fraction of not-JSON messages")
        ->capture_default_str();
    cmd->add_option("--schema-invalid-rate", o.schema_invalid_rate,
                    "Fraction of events that fail the schema")
        ->capture_default_str();
    cmd->add_option("--duplicate-rate", o.duplicate_rate, "Fraction of events re-sent later")
        ->capture_default_str();
    cmd->add_option("--bad-timestamp-rate", o.bad_timestamp_rate,
                    "Fraction of events with a bad timestamp")
        ->capture_default_str();
    cmd->add_option("--duplicate-key-rate", o.duplicate_key_rate,
                    "Fraction of events with a repeated member name")
        ->capture_default_str();
    cmd->add_option("--max-out-of-order-ms", o.max_out_of_order_ms,
                    "Shuffle events within this much event time")
        ->capture_default_str();
    cmd->add_option("--drop-after", o.drop_after_messages,
                    "Drop the connection after every N messages (0 = never)")
        ->capture_default_str();
    cmd->add_option("--drop-mode", o.drop_mode, "close1001 or abrupt")->capture_default_str();
    cmd->add_option("--handshake-401", o.handshake_401_count,
                    "The first N WebSocket handshakes answer 401")
        ->capture_default_str();
    cmd->add_option("--subscribe-429", o.subscribe_429_count,
                    "The first N subscription calls answer 429")
        ->capture_default_str();
    cmd->add_option("--retry-after", o.retry_after_s, "Retry-After seconds of those 429s")
        ->capture_default_str();
    cmd->add_option("--manifest", c->manifest, "Write the expected counts (JSON) to this file");
    // Notifications protocol.
    cmd->add_option("--heartbeat-ms", o.heartbeat_ms, "channel.metadata heartbeat period, ms")
        ->capture_default_str();
    cmd->add_option("--channel-ttl-ms", o.channel_ttl_ms, "Channel lifetime (expires), ms")
        ->capture_default_str();
    cmd->add_option("--socket-closing-delay-ms", o.socket_closing_delay_ms,
                    "Delay between v2.system.socket_closing and the close 1001, ms")
        ->capture_default_str();
    cmd->add_option("--conversations", o.conversations, "Conversations to generate")
        ->capture_default_str();
    cmd->add_option("--concurrency", o.conversation_concurrency,
                    "Conversations in progress at once")
        ->capture_default_str();
    cmd->add_option("--max-channels", o.max_channels, "Channels per OAuth client")
        ->capture_default_str();
    cmd->add_option("--max-topics", o.max_topics, "Topics per channel")->capture_default_str();
    cmd->add_option("--channel-create-429", o.channel_create_429_count,
                    "The first N channel creates answer 429")
        ->capture_default_str();
    cmd->add_option("--forbid-topic", o.forbidden_topic_prefixes,
                    "Topic prefix the client lacks permission for (repeatable)");
    cmd->add_option("--missing-permission", o.missing_permission,
                    "Permission named in 403s and Rejected topics")
        ->capture_default_str();
    cmd->add_option("--fault", o.faults,
                    "Planned fault KIND:AFTER[:COUNT] after AFTER data messages (repeatable)");
    cmd->add_option("--send-buffer", o.send_buffer_bytes, "SO_SNDBUF of stream sockets, bytes")
        ->capture_default_str();
    cmd->callback([c] {
        const int rc = run_emulate(*c);
        if (rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

}  // namespace gstream::emulator
