#pragma once
// The REST side of the emulator, free of any network code: OAuth client credentials
// (API-NOTES.md §1), the subscription call (SEED-PROTOCOL.md §2) and the WebSocket handshake
// check (§3). The server feeds it parsed requests and writes back what it answers.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emulator/emulator.hpp"
#include "emulator/generator.hpp"

namespace gstream::emulator {

/// Counters shared by the server thread (writer) and Emulator::stats() (reader).
struct Counters {
    std::atomic<std::uint64_t> tokens_issued{0};
    std::atomic<std::uint64_t> subscriptions{0};
    std::atomic<std::uint64_t> subscriptions_rejected{0};
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> handshakes_rejected{0};
    std::atomic<std::uint64_t> messages_sent{0};
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> drops{0};
    std::atomic<std::uint64_t> resent{0};
    std::atomic<std::uint64_t> channels_created{0};
    std::atomic<std::uint64_t> channels_evicted{0};
    std::atomic<std::uint64_t> channels_expired{0};
    std::atomic<std::uint64_t> heartbeats{0};
    std::atomic<std::uint64_t> pongs{0};
    std::atomic<std::uint64_t> system_messages{0};
    std::atomic<std::uint64_t> data_messages{0};
    std::atomic<std::uint64_t> faults_injected{0};
};

struct ApiRequest {
    std::string_view method;         ///< "POST", "GET", ...
    std::string_view target;         ///< origin-form: path and query
    std::string_view authorization;  ///< the Authorization header, empty when absent
    std::string_view body;
};

struct ApiResponse {
    int status = 200;
    std::string body;  ///< JSON
    std::vector<std::pair<std::string, std::string>> headers;  ///< besides Content-Type and ININ-Correlation-Id
};

struct Subscription {
    std::string id;
    StreamFilter filter;
};

/// The stream path of SEED-PROTOCOL.md §3.
inline constexpr std::string_view kStreamPath = "/api/v2/eventbridge/interaction.lifecycle";
inline constexpr std::string_view kSubscriptionsPath =
    "/api/v2/eventbridge/streams/interaction.lifecycle/subscriptions";
inline constexpr std::string_view kTokenPath = "/oauth/token";

/// A random UUID v4 (OpenSSL RAND_bytes).
std::string random_uuid();

/// Not thread-safe: used from the server thread only. `now` is the steady clock, for expiry.
class Api {
public:
    using Clock = std::chrono::steady_clock;

    Api(const EmulatorOptions& options, Counters& counters);

    /// Handles POST /oauth/token and POST .../subscriptions; anything else is 404 not.found.
    ApiResponse handle(const ApiRequest& request, Clock::time_point now);

    /// Checks a WebSocket upgrade request: nullopt when it may be accepted, else the response to
    /// send instead (404 for another path, 401 for a bad/expired token or an injected 401).
    std::optional<ApiResponse> check_handshake(std::string_view target, Clock::time_point now);

    /// "" when the token is valid, else the ErrorBody code (authentication.required,
    /// credentials.expired).
    std::string_view token_problem(std::string_view token, Clock::time_point now) const;
    /// The OAuth client id a valid token was issued to ("" when credentials are not checked and
    /// the request had no Basic header).
    std::string token_client(std::string_view token) const;
    /// Every issued token becomes invalid (token revocation).
    void revoke_tokens() { tokens_.clear(); }

    /// The latest subscription created (201), if any.
    const std::optional<Subscription>& latest_subscription() const { return latest_; }

private:
    ApiResponse token(const ApiRequest& request, Clock::time_point now);
    ApiResponse subscribe(const ApiRequest& request, Clock::time_point now);
    const EmulatorOptions& options_;
    Counters& counters_;
    struct TokenInfo {
        Clock::time_point expiry;
        std::string client_id;
    };
    std::unordered_map<std::string, TokenInfo> tokens_;
    std::optional<Subscription> latest_;
    int subscribe_posts_ = 0;
    int handshakes_seen_ = 0;
};

/// The token of an "Authorization: Bearer <token>" header, else empty.
std::string_view bearer_token(std::string_view authorization);

/// A Genesys ErrorBody (API-NOTES.md §3.7): {"message","code","status","contextId"}.
ApiResponse error_body(int status, std::string_view code, std::string_view message);

}  // namespace gstream::emulator
