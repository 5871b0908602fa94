#include "sink/http/http_formatter.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <memory>
#include <stdexcept>

#include <openssl/evp.h>

namespace gstream::sink::http {

std::optional<Framing> parse_framing(std::string_view text) {
    if (text == "ndjson") {
        return Framing::kNdjson;
    }
    if (text == "json_array") {
        return Framing::kJsonArray;
    }
    if (text == "cloudevents-batch") {
        return Framing::kCloudEventsBatch;
    }
    return std::nullopt;
}

std::string_view content_type(Framing framing) {
    switch (framing) {
        case Framing::kNdjson:
            return "application/x-ndjson";
        case Framing::kJsonArray:
            return "application/json";
        case Framing::kCloudEventsBatch:
            return "application/cloudevents-batch+json";
    }
    return "application/json";
}

void frame(Framing framing, std::span<const std::string> bodies, std::string& out) {
    out.reserve(out.size() + framed_size(framing, bodies));
    if (framing == Framing::kNdjson) {
        for (const std::string& b : bodies) {
            out += b;
            out += '\n';
        }
        return;
    }
    out += '[';
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        out += bodies[i];
    }
    out += ']';
}

std::size_t framed_size(Framing framing, std::span<const std::string> bodies) {
    std::size_t n = 0;
    for (const std::string& b : bodies) {
        n += b.size() + 1;  // '\n' or ','/'[' ... ']'
    }
    if (framing != Framing::kNdjson) {
        n += 1;  // the closing ']' (or "[]")
    }
    return bodies.empty() && framing != Framing::kNdjson ? 2 : n;
}

std::vector<std::size_t> split(Framing framing,
                               std::span<const std::string> bodies,
                               std::size_t max_bytes) {
    std::vector<std::size_t> ends;
    const std::size_t overhead = framing == Framing::kNdjson ? 0 : 1;
    std::size_t size = overhead;
    std::size_t count = 0;
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        const std::size_t add = bodies[i].size() + 1;
        if (count != 0 && size + add > max_bytes) {
            ends.push_back(i);
            size = overhead;
            count = 0;
        }
        size += add;
        ++count;
    }
    if (count != 0) {
        ends.push_back(bodies.size());
    }
    return ends;
}

std::string idempotency_key(std::span<const std::string> event_ids) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("OpenSSL: SHA-256 unavailable");
    }
    for (const std::string& id : event_ids) {
        // A netstring per id ("<length>:<id>,"): no two id lists give the same input.
        const std::string prefix = std::to_string(id.size()) + ":";
        EVP_DigestUpdate(ctx.get(), prefix.data(), prefix.size());
        EVP_DigestUpdate(ctx.get(), id.data(), id.size());
        EVP_DigestUpdate(ctx.get(), ",", 1);
    }
    EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0xF];
    }
    return out;
}

std::string ce_header_value(std::string_view value) {
    constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x21 || c > 0x7E || c == '"' || c == '%') {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else {
            out += ch;
        }
    }
    return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(value.front()))) {
        std::int64_t seconds = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc() || end != value.data() + value.size()) {
            // Too large for int64: "a long time"; the caller caps it.
            return ec == std::errc::result_out_of_range
                       ? std::optional(std::chrono::milliseconds::max())
                       : std::nullopt;
        }
        if (seconds > std::chrono::milliseconds::max().count() / 1000) {
            return std::chrono::milliseconds::max();
        }
        return std::chrono::milliseconds(seconds * 1000);
    }
    // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7).
    std::tm tm{};
    const std::string text(value);
    const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
        return std::nullopt;
    }
    const auto at = std::chrono::system_clock::from_time_t(::timegm(&tm));
    if (at <= now) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
}

SinkResult classify(int status) {
    if (status >= 200 && status < 300) {
        return SinkResult::kOk;
    }
    if (status >= 400 && status < 500 && status != 408 && status != 429) {
        return SinkResult::kReject;
    }
    return SinkResult::kRetry;
}

std::string status_detail(int status, std::string_view body, std::size_t max_bytes) {
    std::string out = "http " + std::to_string(status);
    if (body.empty()) {
        return out;
    }
    out += ": ";
    const std::string_view head = body.substr(0, max_bytes);
    for (char c : head) {
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    }
    if (body.size() > max_bytes) {
        out += "...";
    }
    return out;
}

}  // namespace gstream::sink::http
