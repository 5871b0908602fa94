#pragma once
// The REST side of the Notifications API emulator (API-NOTES.md §3), free of network code:
// channels (20 per OAuth client, the oldest-last-used evicted, unconnected first; 24 h expiry
// scaled by EmulatorOptions::channel_ttl_ms), subscriptions (`[{"id": topic}]`, ignoreErrors,
// 1,000 topics per channel, Rejected topics, whole-request 403 for a missing permission),
// available topics, and the fault state the WebSocket layer applies. Not thread-safe: used from
// the server thread only; time comes in as `now` (steady clock) plus a wall clock for `expires`.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "emulator/api.hpp"
#include "emulator/conversation_generator.hpp"

namespace gstream::emulator {

inline constexpr std::string_view kChannelsPath = "/api/v2/notifications/channels";
inline constexpr std::string_view kAvailableTopicsPath = "/api/v2/notifications/availabletopics";
inline constexpr std::string_view kControlFaultsPath = "/emulator/control/faults";
/// WebSocket path prefix of connectUri (API-NOTES.md §2: wss://streaming.<domain>/channels/<id>).
inline constexpr std::string_view kChannelSocketPrefix = "/channels/";

/// A topic template the emulator knows (GET availabletopics). `{id}` matches one segment.
struct TopicTemplate {
    std::string_view id;
    std::string_view description;
    std::string_view permission;  ///< requiresPermissions[0]
};

/// The templates served by availabletopics; subscriptions to anything else are Rejected.
const std::vector<TopicTemplate>& topic_catalogue();

/// The catalogue template `topic` matches, or nullptr.
const TopicTemplate* match_topic(std::string_view topic);

/// The queue id of a `v2.routing.queues.{id}.conversations` topic, else empty.
std::string_view snapshot_queue_of(std::string_view topic);

std::optional<NotificationFault> parse_fault(std::string_view name);
std::string_view fault_name(NotificationFault fault);

/// A fault to apply once `after` data messages were sent (CLI `--fault KIND:AFTER[:COUNT]`).
struct PlannedFault {
    NotificationFault fault = NotificationFault::kDrop;
    std::uint64_t after = 0;
    int count = 1;
};

/// Parses "KIND:AFTER[:COUNT]"; nullopt when malformed.
std::optional<PlannedFault> parse_planned_fault(std::string_view text);

/// The data stream after drop / duplicate / reorder faults. Pure; the source yields the messages
/// of subscribed topics in order. Session-level faults (stall, close, system messages) become due
/// here too and are handed to the caller through take_actions().
class FaultedStream {
public:
    using Source = std::function<std::optional<NotificationMessage>()>;
    FaultedStream(Source source, std::vector<PlannedFault> plan, std::uint64_t seed);

    /// Queues `count` applications of a data fault, or one session action.
    void inject(NotificationFault fault, int count = 1);
    /// The next message to send, or nullopt at the end of the stream.
    std::optional<NotificationMessage> next();
    /// Session actions that became due (planned), oldest first; clears them.
    std::vector<NotificationFault> take_actions();

    std::uint64_t sent() const { return sent_; }  ///< messages next() returned
    std::uint64_t dropped() const { return dropped_; }
    std::uint64_t duplicated() const { return duplicated_; }  ///< copies with a new CorrelationId
    std::uint64_t duplicated_exact() const { return duplicated_exact_; }
    std::uint64_t reordered() const { return reordered_; }

private:
    void apply_plan();

    Source source_;
    std::vector<PlannedFault> plan_;  // sorted by `after`
    std::size_t plan_next_ = 0;
    std::deque<NotificationMessage> ready_;
    std::vector<NotificationFault> actions_;
    int drop_ = 0, duplicate_ = 0, duplicate_exact_ = 0, reorder_ = 0;
    std::uint64_t seed_;
    std::uint64_t sent_ = 0, dropped_ = 0, duplicated_ = 0, duplicated_exact_ = 0, reordered_ = 0;
};

/// A notification channel (API-NOTES.md §3.2).
struct Channel {
    std::string id;         ///< streaming-<digit>-<26 lowercase alnum>
    std::string client_id;  ///< OAuth client of the creating token
    std::string token;      ///< the creating token
    std::chrono::steady_clock::time_point expires;
    std::string expires_text;  ///< ISO-8601 UTC with ms
    std::chrono::steady_clock::time_point last_used;
    bool connected = false;
    std::vector<std::string> topics;  ///< subscription order
    std::unordered_set<std::string> topic_set;
};

/// Why a channel went away (its socket, if any, is closed).
enum class ChannelGone : std::uint8_t { kEvicted, kExpired, kTokenRevoked };

/// REST logic of the Notifications API.
class NotificationsApi {
public:
    using Clock = std::chrono::steady_clock;
    /// Called when a channel is removed (eviction, expiry, revocation).
    using GoneCallback = std::function<void(const std::string& channel_id, ChannelGone why)>;

    NotificationsApi(const EmulatorOptions& options, Counters& counters, Api& auth);

    /// "ws://HOST:PORT" or "wss://HOST:PORT": the origin of connectUri.
    void set_socket_origin(std::string origin) { socket_origin_ = std::move(origin); }
    void on_channel_gone(GoneCallback callback) { gone_ = std::move(callback); }
    /// Called after a subscription change on a channel (POST/PUT/DELETE).
    void on_subscriptions_changed(std::function<void(const std::string&)> callback) {
        changed_ = std::move(callback);
    }

    /// Handles the /api/v2/notifications/* requests; nullopt for any other path.
    /// `wall_now` is the wall clock for `expires`.
    std::optional<ApiResponse> handle(const ApiRequest& request,
                                      Clock::time_point now,
                                      std::chrono::system_clock::time_point wall_now);

    /// The live channel with this id (expired ones are removed first), or nullptr.
    Channel* find(std::string_view channel_id, Clock::time_point now);
    /// Removes expired channels (calling the gone callback).
    void expire(Clock::time_point now);
    /// Removes a channel; false when unknown.
    bool remove(const std::string& channel_id, ChannelGone why);
    /// Removes every topic of a channel.
    void clear_topics(const std::string& channel_id);
    /// Marks a channel connected / disconnected (eviction prefers unconnected channels).
    void set_connected(const std::string& channel_id, bool connected, Clock::time_point now);
    /// Every token becomes invalid and every channel is removed (kTokenRevoked).
    void revoke_tokens();
    std::size_t channel_count() const { return channels_.size(); }

private:
    ApiResponse create_channel(const std::string& token,
                               Clock::time_point now,
                               std::chrono::system_clock::time_point wall_now);
    ApiResponse list_channels(const ApiRequest& request, const std::string& token);
    ApiResponse subscriptions(const ApiRequest& request,
                              Channel& channel,
                              Clock::time_point now,
                              std::chrono::system_clock::time_point wall_now);
    ApiResponse available_topics(const ApiRequest& request) const;
    std::string channel_json(const Channel& channel) const;
    std::string new_channel_id();

    const EmulatorOptions& options_;
    Counters& counters_;
    Api& auth_;
    std::string socket_origin_ = "ws://127.0.0.1:0";
    std::vector<Channel> channels_;  // creation order
    GoneCallback gone_;
    std::function<void(const std::string&)> changed_;
    int creates_seen_ = 0;
    int subscription_calls_seen_ = 0;
    std::uint64_t id_counter_ = 0;
};

/// A Genesys 429 ErrorBody (`too.many.requests.retry.after`, as error-429.json) with Retry-After
/// and inin-ratelimit-* headers.
ApiResponse too_many_requests(int retry_after_s);

}  // namespace gstream::emulator
