#pragma once
// The HTTP sink (`type: http`, docs/sinks/http.md): POSTs each batch to one URL and reports
// what the answer means (STYLE.md rule 2): 2xx kOk; 408, 429, 5xx and transport errors
// (refused, reset, past a deadline) kRetry, after waiting the response's Retry-After (at most
// max_retry_after); other 4xx kReject, last_error() = "http <status>: <first body bytes>".
// Every request carries an Idempotency-Key (http_formatter.hpp) so a receiver can drop a re-sent
// batch: delivery is at-least-once.
//
// One kept-alive connection (genesys::BlockingHttpClient), reopened when the server closes it.
// No Boost.Asio/Beast here or in http_sink.cpp.
//
// Thread-safety: one thread calls a sink (sink.hpp).

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "sink/format/event_format.hpp"
#include "sink/http/http_formatter.hpp"
#include "sink/sink.hpp"

namespace gstream::sink::http {

/// The sink's settings (schemas/config.schema.json, the `type: http` branch of `sinks[]`).
struct HttpSinkConfig {
    std::string name = "http";
    std::string url;  ///< absolute http:// or https:// URL
    format::Format format = format::Format::kNative;
    Framing framing = Framing::kNdjson;
    std::map<std::string, std::string> headers;  ///< extra headers; values are secrets to logs
    bool tls_verify = true;
    std::optional<std::string> ca_file;
    std::chrono::milliseconds connect_timeout{5'000};
    std::chrono::milliseconds request_timeout{30'000};
    std::chrono::milliseconds max_retry_after{60'000};
    std::size_t max_batch_bytes = 4 << 20;
};

/// Reads the settings of a `type: http` sink. Throws std::runtime_error naming the sink, its
/// line and the key for a value the schema cannot rule out (a bad URL, framing with format).
HttpSinkConfig http_sink_config(const config::SinkConfig& config);

/// Offline checks for `check-config` (no network): the URL parses with scheme http or https,
/// ca_file is readable, framing fits format. Empty when usable, else one line.
std::string check_http_sink(const config::SinkConfig& config);

class HttpSink final : public Sink {
public:
    /// Throws std::runtime_error when ca_file cannot be loaded (start-up). Connects lazily.
    explicit HttpSink(HttpSinkConfig config);
    ~HttpSink() override;

    std::string_view name() const override { return config_.name; }
    SinkResult write_batch(std::span<const core::Event> events) override;
    std::string last_error() const override { return last_error_; }
    std::vector<RejectedEvent> take_rejected() override;

private:
    // Sends one POST; fills last_error_ and waits Retry-After when the answer is a retry.
    SinkResult post(std::string body,
                    std::string_view content_type,
                    std::string key,
                    const std::vector<std::pair<std::string, std::string>>& extra_headers,
                    std::string* reject_detail);
    SinkResult write_structured(std::span<const core::Event> events);
    SinkResult write_binary(std::span<const core::Event> events);

    HttpSinkConfig config_;
    format::EventEncoder encoder_;
    struct Client;
    std::unique_ptr<Client> client_;
    std::string last_error_;
    std::vector<RejectedEvent> rejected_;
    format::Encoded encoded_;
};

/// The registry's factory (sink_registry.cpp).
std::unique_ptr<Sink> make_http_sink(const config::SinkConfig& config);

}  // namespace gstream::sink::http
