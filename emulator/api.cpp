#include "emulator/api.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <openssl/rand.h>

namespace gstream::emulator {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 5> kStates = {"queued", "alerting", "contact", "acw",
                                                     "ended"};

std::string random_bytes_hex(std::size_t n) {
    std::vector<unsigned char> bytes(n);
    if (RAND_bytes(bytes.data(), static_cast<int>(n)) != 1) {
        // Practically impossible; fall back to the C++ generator, still unpredictable enough
        // for a test emulator.
        std::random_device rd;
        for (auto& b : bytes) {
            b = static_cast<unsigned char>(rd());
        }
    }
    std::string out;
    out.reserve(2 * n);
    for (unsigned char b : bytes) {
        fmt::format_to(std::back_inserter(out), "{:02x}", b);
    }
    return out;
}

std::string random_token() {
    // Opaque, not a JWT (API-NOTES.md §1.2); base64url alphabet.
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::array<unsigned char, 48> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        std::random_device rd;
        for (auto& b : bytes) {
            b = static_cast<unsigned char>(rd());
        }
    }
    std::string out;
    for (unsigned char b : bytes) {
        out += kAlphabet[b % 64];
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!in.empty() && in.back() == '=') {
        in.remove_suffix(1);
    }
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : in) {
        const int v = value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    return out;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        const auto a = static_cast<unsigned char>(text[i]);
        const auto b = static_cast<unsigned char>(prefix[i]);
        if (std::tolower(a) != std::tolower(b)) {
            return false;
        }
    }
    return true;
}

std::string percent_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '+') {
            out += ' ';
        } else if (in[i] == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

std::optional<std::string> form_value(std::string_view body, std::string_view name) {
    while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        const auto eq = pair.find('=');
        if (percent_decode(pair.substr(0, eq)) == name) {
            return eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1));
        }
        if (amp == std::string_view::npos) {
            break;
        }
        body.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

ApiResponse oauth_error(std::string_view error, std::string_view description) {
    ApiResponse r;
    r.status = 400;
    r.body = json::serialize(json::object{{"error", error},
                                          {"description", description},
                                          {"error_description", description}});
    return r;
}

std::string_view path_of(std::string_view target) {
    return target.substr(0, target.find('?'));
}

// Parses the subscription filter; an error message when it is not acceptable.
std::optional<std::string> parse_filter(const json::value& filter, StreamFilter& out) {
    if (!filter.is_object()) {
        return "filter must be an object";
    }
    for (const auto& member : filter.as_object()) {
        const std::string_view key = member.key();
        const json::value& v = member.value();
        if (key == "routing.queue.id") {
            if (v.is_string() && !v.as_string().empty()) {
                out.queue_ids.emplace_back(v.as_string());
                continue;
            }
            if (!v.is_array() || v.as_array().empty()) {
                return "routing.queue.id must be a queue id or a non-empty array of queue ids";
            }
            for (const auto& q : v.as_array()) {
                if (!q.is_string() || q.as_string().empty()) {
                    return "routing.queue.id must be a queue id or a non-empty array of queue ids";
                }
                out.queue_ids.emplace_back(q.as_string());
            }
        } else if (key == "interaction.state") {
            if (!v.is_array() || v.as_array().empty()) {
                return "interaction.state must be a non-empty array";
            }
            for (const auto& s : v.as_array()) {
                if (!s.is_string() || std::find(kStates.begin(), kStates.end(),
                                                 std::string_view(s.as_string())) == kStates.end()) {
                    return "interaction.state values must be queued, alerting, contact, acw or "
                           "ended";
                }
                out.states.emplace_back(s.as_string());
            }
        } else {
            return fmt::format("unknown filter key '{}'", key);
        }
    }
    return std::nullopt;
}

}  // namespace

std::string random_uuid() {
    std::string h = random_bytes_hex(16);
    h[12] = '4';
    h[16] = "89ab"[static_cast<unsigned char>(h[16]) % 4];
    return fmt::format("{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                       h.substr(16, 4), h.substr(20, 12));
}

ApiResponse error_body(int status, std::string_view code, std::string_view message) {
    ApiResponse r;
    r.status = status;
    r.body = json::serialize(json::object{{"message", message},
                                          {"code", code},
                                          {"status", status},
                                          {"contextId", random_uuid()}});
    return r;
}

Api::Api(const EmulatorOptions& options, Counters& counters)
    : options_(options), counters_(counters) {}

ApiResponse Api::handle(const ApiRequest& request, Clock::time_point now) {
    const std::string_view path = path_of(request.target);
    if (request.method == "POST" && path == kTokenPath) {
        return token(request, now);
    }
    if (request.method == "POST" && path == kSubscriptionsPath) {
        ApiResponse r = subscribe(request, now);
        (r.status == 201 ? counters_.subscriptions : counters_.subscriptions_rejected)++;
        return r;
    }
    return error_body(404, "not.found", "The requested resource was not found.");
}

ApiResponse Api::token(const ApiRequest& request, Clock::time_point now) {
    // Credentials go only in the Basic header (API-NOTES.md §1.1).
    std::string id, secret;
    bool have_basic = false;
    if (iequals_prefix(request.authorization, "Basic ")) {
        std::string_view b64 = request.authorization.substr(6);
        while (!b64.empty() && b64.front() == ' ') {
            b64.remove_prefix(1);
        }
        if (auto decoded = base64_decode(b64)) {
            const auto colon = decoded->find(':');
            if (colon != std::string::npos) {
                id = decoded->substr(0, colon);
                secret = decoded->substr(colon + 1);
                have_basic = true;
            }
        }
    }
    const bool check = options_.client_id.has_value() || options_.client_secret.has_value();
    if (check && (!have_basic || (options_.client_id && id != *options_.client_id) ||
                  (options_.client_secret && secret != *options_.client_secret))) {
        return oauth_error("invalid_client", "authentication failed");
    }
    const auto grant = form_value(request.body, "grant_type");
    if (!grant || *grant != "client_credentials") {
        return oauth_error("unsupported_grant_type", "grant type is not supported");
    }
    std::string access = random_token();
    tokens_[access] = TokenInfo{now + std::chrono::seconds(options_.token_ttl_s), id};
    counters_.tokens_issued++;
    ApiResponse r;
    r.body = json::serialize(json::object{{"access_token", access},
                                          {"token_type", "bearer"},
                                          {"expires_in", options_.token_ttl_s}});
    return r;
}

std::string_view Api::token_problem(std::string_view token, Clock::time_point now) const {
    if (token.empty()) {
        return "authentication.required";
    }
    const auto it = tokens_.find(std::string(token));
    if (it == tokens_.end()) {
        return "authentication.required";
    }
    if (now >= it->second.expiry) {
        return "credentials.expired";
    }
    return {};
}

std::string Api::token_client(std::string_view token) const {
    const auto it = tokens_.find(std::string(token));
    return it == tokens_.end() ? std::string() : it->second.client_id;
}

std::string_view bearer_token(std::string_view authorization) {
    if (!iequals_prefix(authorization, "Bearer ")) {
        return {};
    }
    authorization.remove_prefix(7);
    while (!authorization.empty() && authorization.front() == ' ') {
        authorization.remove_prefix(1);
    }
    return authorization;
}

ApiResponse Api::subscribe(const ApiRequest& request, Clock::time_point now) {
    std::string_view bearer;
    if (iequals_prefix(request.authorization, "Bearer ")) {
        bearer = request.authorization.substr(7);
    }
    if (const auto problem = token_problem(bearer, now); !problem.empty()) {
        return error_body(401, problem,
                          problem == "credentials.expired"
                              ? "The authentication token has expired."
                              : "No authentication bearer token specified in authorization header.");
    }
    if (subscribe_posts_ < options_.subscribe_429_count) {
        ++subscribe_posts_;
        ApiResponse r = error_body(
            429, "too.many.requests",
            fmt::format("Rate limit exceeded the maximum. Retry the request in [{}] seconds",
                        options_.retry_after_s));
        r.headers.emplace_back("Retry-After", std::to_string(options_.retry_after_s));
        return r;
    }
    boost::system::error_code ec;
    const json::value body = json::parse(request.body, ec);
    if (ec || !body.is_object()) {
        return error_body(400, "bad.request", "The request body is not a JSON object.");
    }
    const json::object& obj = body.as_object();
    if (const auto* stream = obj.if_contains("stream");
        stream && (!stream->is_string() || stream->as_string() != "interaction.lifecycle")) {
        return error_body(400, "bad.request", "stream must be \"interaction.lifecycle\".");
    }
    Subscription sub;
    json::value filter = json::object{};
    if (const auto* f = obj.if_contains("filter")) {
        if (auto problem = parse_filter(*f, sub.filter)) {
            return error_body(400, "bad.request", *problem);
        }
        filter = *f;
    }
    sub.id = random_uuid();
    ApiResponse r;
    r.status = 201;
    r.body = json::serialize(
        json::object{{"id", sub.id}, {"stream", "interaction.lifecycle"}, {"filter", filter}});
    latest_ = std::move(sub);
    return r;
}

std::optional<ApiResponse> Api::check_handshake(std::string_view target, Clock::time_point now) {
    if (path_of(target) != kStreamPath) {
        return error_body(404, "not.found", "The requested resource was not found.");
    }
    ++handshakes_seen_;
    if (handshakes_seen_ <= options_.handshake_401_count) {
        counters_.handshakes_rejected++;
        return error_body(401, "credentials.expired", "The authentication token has expired.");
    }
    std::string token;
    auto parsed = boost::urls::parse_origin_form(target);
    if (parsed) {
        for (const auto& param : parsed->params()) {
            if (param.key == "token" && param.has_value) {
                token = param.value;
                break;
            }
        }
    }
    if (const auto problem = token_problem(token, now); !problem.empty()) {
        counters_.handshakes_rejected++;
        return error_body(401, problem, "The token is missing, unknown or expired.");
    }
    return std::nullopt;
}

}  // namespace gstream::emulator
