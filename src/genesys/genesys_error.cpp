#include "genesys/genesys_error.hpp"

#include <charconv>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "genesys/http_client.hpp"

namespace gstream::genesys {
namespace {

constexpr std::int64_t kMaxDelayMs = 3'600'000;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                          s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() &&
           (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

std::string string_member(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    return {};
}

// Keeps operator-facing text on one line.
std::string one_line(std::string_view s, std::size_t max) {
    std::string out;
    for (char c : s.substr(0, max)) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
    if (s.size() > max) out += "...";
    return out;
}

}  // namespace

void throw_exception_from_error(const ApiError& e, const boost::source_location&) {
    throw std::runtime_error(e.message);
}

std::string describe_error_body(std::string_view body) {
    body = trim(body);
    if (body.empty()) return {};
    boost::system::error_code ec;
    auto value = boost::json::parse(body, ec);
    if (!ec && value.is_object()) {
        const auto& o = value.get_object();
        const std::string message = string_member(o, "message");
        const std::string code = string_member(o, "code");
        if (!message.empty() || !code.empty()) {
            std::string out = one_line(message, 300);
            std::string extras;
            if (!code.empty()) extras += "code=" + one_line(code, 100);
            const std::string status = string_member(o, "status");
            if (!status.empty()) extras += (extras.empty() ? "" : ", ") + ("status=" + status);
            const std::string context = string_member(o, "contextId");
            if (!context.empty()) {
                extras += (extras.empty() ? "" : ", ") + ("contextId=" + one_line(context, 100));
            }
            if (!extras.empty()) out += (out.empty() ? "(" : " (") + extras + ")";
            return out;
        }
        const std::string error = string_member(o, "error");
        if (!error.empty()) {
            std::string description = string_member(o, "error_description");
            if (description.empty()) description = string_member(o, "description");
            return one_line(error, 100) + (description.empty() ? "" : ": " + one_line(description, 300));
        }
    }
    return one_line(body, 200);
}

std::optional<std::int64_t> parse_delay_seconds(std::string_view value) {
    value = trim(value);
    if (value.empty()) return std::nullopt;
    std::int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
        return std::nullopt;
    }
    if (seconds > kMaxDelayMs / 1000) return kMaxDelayMs;
    return seconds * 1000;
}

ApiError error_from_response(const HttpResponse& response, std::string_view what) {
    ApiError error;
    error.http_status = response.status;
    error.correlation_id = response.correlation_id();
    switch (response.status) {
        case 401: error.code = core::Errc::kUnauthorized; break;
        case 403: error.code = core::Errc::kForbidden; break;
        case 429: error.code = core::Errc::kRateLimited; break;
        default: error.code = core::Errc::kHttpStatus; break;
    }
    error.retryable = response.status == 408 || response.status == 429 || response.status >= 500;
    if (auto v = response.header("Retry-After")) {
        if (auto ms = parse_delay_seconds(*v)) error.retry_after_ms = *ms;
    }
    if (error.retry_after_ms < 0) {
        if (auto v = response.header("inin-ratelimit-reset")) {
            if (auto ms = parse_delay_seconds(*v)) error.retry_after_ms = *ms;
        }
    }
    error.message = std::string(what) + " failed with HTTP " + std::to_string(response.status);
    const std::string body = describe_error_body(response.body);
    if (!body.empty()) error.message += ": " + body;
    if (!error.correlation_id.empty()) {
        error.message += " [ININ-Correlation-Id " + one_line(error.correlation_id, 100) + "]";
    }
    return error;
}

ApiError transport_error(boost::system::error_code ec, std::string_view what) {
    ApiError error;
    error.code = ec;
    error.retryable = ec != core::Errc::kConfig;
    error.message = std::string(what) + " failed: " + ec.message();
    return error;
}

}  // namespace gstream::genesys
