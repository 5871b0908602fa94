#include "sink/http/http_sink.hpp"

#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "genesys/blocking_http_client.hpp"
#include "sink/sink_settings.hpp"

namespace gstream::sink::http {
namespace {

std::string where(const config::SinkConfig& c, std::string_view key) {
    return fmt::format("sink '{}' (line {}): key '{}'", c.name, c.line, key);
}

// The problem with the settings, or "" (shared by check-config and the factory).
std::string problem(const config::SinkConfig& c) {
    const std::string url = setting_string(c, "url");
    const auto parsed = genesys::parse_url(url);
    if (!parsed || (parsed->scheme != "http" && parsed->scheme != "https")) {
        return fmt::format("{}: '{}' is not an absolute http:// or https:// URL", where(c, "url"),
                           url);
    }
    const std::string ca_file = setting_string(c, "ca_file");
    if (!ca_file.empty() && !std::ifstream(ca_file).good()) {
        return fmt::format("{}: cannot read '{}'", where(c, "ca_file"), ca_file);
    }
    const std::string framing = setting_string(c, "framing", "ndjson");
    const std::string fmt_name = setting_string(c, "format", "native");
    if (framing == "cloudevents-batch" && fmt_name != "cloudevents") {
        return fmt::format(
            "{}: cloudevents-batch carries structured CloudEvents; set format: "
            "cloudevents (or another framing)",
            where(c, "framing"));
    }
    return {};
}

}  // namespace

HttpSinkConfig http_sink_config(const config::SinkConfig& c) {
    if (std::string p = problem(c); !p.empty()) {
        throw std::runtime_error(p);
    }
    HttpSinkConfig out;
    out.name = c.name;
    out.url = setting_string(c, "url");
    out.format = format::parse_format(setting_string(c, "format", "native"))
                     .value_or(format::Format::kNative);
    out.framing = parse_framing(setting_string(c, "framing", "ndjson")).value_or(Framing::kNdjson);
    out.headers = setting_map(c, "headers");
    out.tls_verify = setting_bool(c, "tls_verify", true);
    if (std::string ca = setting_string(c, "ca_file"); !ca.empty()) {
        out.ca_file = std::move(ca);
    }
    out.connect_timeout = std::chrono::milliseconds(setting_int(c, "connect_timeout_ms", 5'000));
    out.request_timeout = std::chrono::milliseconds(setting_int(c, "request_timeout_ms", 30'000));
    out.max_retry_after = std::chrono::milliseconds(setting_int(c, "max_retry_after_ms", 60'000));
    out.max_batch_bytes = static_cast<std::size_t>(setting_int(c, "max_batch_bytes", 4 << 20));
    return out;
}

std::string check_http_sink(const config::SinkConfig& config) {
    return problem(config);
}

struct HttpSink::Client {
    explicit Client(const genesys::BlockingHttpClientOptions& options)
        : http(options) {}
    genesys::BlockingHttpClient http;
};

HttpSink::HttpSink(HttpSinkConfig config)
    : config_(std::move(config))
    , encoder_(format::EncoderOptions{.format = config_.format}) {
    genesys::BlockingHttpClientOptions options;
    options.tls.verify = config_.tls_verify;
    options.tls.ca_file = config_.ca_file;
    options.connect_timeout = config_.connect_timeout;
    options.io_timeout = config_.request_timeout;
    options.max_body_bytes = 16 << 20;  // a larger answer fails as kBadResponse (a retry)
    client_ = std::make_unique<Client>(options);
}

HttpSink::~HttpSink() = default;

std::vector<RejectedEvent> HttpSink::take_rejected() {
    return std::exchange(rejected_, {});
}

SinkResult HttpSink::write_batch(std::span<const core::Event> events) {
    rejected_.clear();
    if (events.empty()) {
        return SinkResult::kOk;
    }
    return config_.format == format::Format::kCloudEventsBinary ? write_binary(events)
                                                                : write_structured(events);
}

SinkResult HttpSink::write_structured(std::span<const core::Event> events) {
    std::vector<std::string> bodies;
    std::vector<std::string> ids;
    bodies.reserve(events.size());
    ids.reserve(events.size());
    for (const core::Event& e : events) {
        encoder_.encode(e, encoded_);
        bodies.push_back(std::move(encoded_.body));
        ids.push_back(format::event_id(e));
    }
    const std::vector<std::size_t> ends = split(config_.framing, bodies, config_.max_batch_bytes);
    const std::span<const std::string> all_bodies(bodies);
    const std::span<const std::string> all_ids(ids);
    std::size_t begin = 0;
    std::string detail;
    for (const std::size_t end : ends) {
        std::string body;
        frame(config_.framing, all_bodies.subspan(begin, end - begin), body);
        const SinkResult r =
            post(std::move(body), content_type(config_.framing),
                 idempotency_key(all_ids.subspan(begin, end - begin)), {}, &detail);
        if (r == SinkResult::kRetry) {
            return r;  // chunks already taken are re-sent, same keys
        }
        if (r == SinkResult::kReject) {
            if (ends.size() == 1) {
                return r;  // the whole batch: dead-lettered with last_error()
            }
            for (std::size_t i = begin; i < end; ++i) {
                rejected_.push_back({i, detail});
            }
        }
        begin = end;
    }
    if (rejected_.size() == events.size()) {
        rejected_.clear();
        return SinkResult::kReject;
    }
    return SinkResult::kOk;
}

SinkResult HttpSink::write_binary(std::span<const core::Event> events) {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string detail;
    for (std::size_t i = 0; i < events.size(); ++i) {
        encoder_.encode(events[i], encoded_);
        headers.clear();
        // CloudEvents HTTP binding §3.1.3: each context attribute as a ce- header.
        for (const auto& [attribute, value] : encoded_.attributes) {
            headers.emplace_back("ce-" + attribute, ce_header_value(value));
        }
        const std::string id = format::event_id(events[i]);
        const SinkResult r =
            post(std::exchange(encoded_.body, {}), encoded_.content_type,
                 idempotency_key(std::span<const std::string>(&id, 1)), headers, &detail);
        if (r == SinkResult::kRetry) {
            return r;
        }
        if (r == SinkResult::kReject) {
            rejected_.push_back({i, detail});
        }
    }
    if (rejected_.size() == events.size()) {
        rejected_.clear();
        return SinkResult::kReject;
    }
    return SinkResult::kOk;
}

SinkResult HttpSink::post(std::string body,
                          std::string_view type,
                          std::string key,
                          const std::vector<std::pair<std::string, std::string>>& extra_headers,
                          std::string* reject_detail) {
    genesys::HttpRequest request;
    request.method = "POST";
    request.url = config_.url;
    for (const auto& [name, value] : config_.headers) {
        request.headers.push_back({name, value});
    }
    for (const auto& [name, value] : extra_headers) {
        request.headers.push_back({name, value});
    }
    // Set last: the user's headers cannot change what the receiver relies on.
    request.headers.push_back({"Content-Type", std::string(type)});
    request.headers.push_back({"Idempotency-Key", std::move(key)});
    request.body = std::move(body);

    const auto response = client_->http.request(std::move(request));
    if (!response) {
        // Never the headers: they may hold credentials.
        last_error_ = fmt::format("POST {} failed: {}", config_.url, response.error().message());
        return SinkResult::kRetry;
    }
    const SinkResult result = classify(response->status);
    if (result == SinkResult::kOk) {
        return result;
    }
    last_error_ = status_detail(response->status, response->body);
    if (result == SinkResult::kReject) {
        *reject_detail = last_error_;
        return result;
    }
    if (const auto value = response->header("Retry-After")) {
        if (const auto wait = parse_retry_after(*value, std::chrono::system_clock::now())) {
            const auto bounded = std::min(*wait, config_.max_retry_after);
            last_error_ += fmt::format(" (waited Retry-After {} ms)", bounded.count());
            // A deliberate wait the server asked for, bounded by max_retry_after_ms; the
            // driver's own backoff follows.
            std::this_thread::sleep_for(bounded);
        }
    }
    return result;
}

std::unique_ptr<Sink> make_http_sink(const config::SinkConfig& config) {
    return std::make_unique<HttpSink>(http_sink_config(config));
}

}  // namespace gstream::sink::http
