#include "emulator/notifications_api.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "core/time.hpp"
#include "emulator/rng.hpp"

namespace gstream::emulator {
namespace {

namespace json = boost::json;

constexpr std::string_view kQueuePerm = "routing:queue:view";
constexpr std::string_view kDetailPerm = "analytics:conversationDetail:view";

const std::vector<TopicTemplate> kCatalogue = {
    {"v2.routing.queues.{id}.conversations", "Updates to active conversations by queue",
     kQueuePerm},
    {"v2.routing.queues.{id}.conversations.calls", "Call updates by queue", kQueuePerm},
    {"v2.routing.queues.{id}.conversations.callbacks", "Callback updates by queue", kQueuePerm},
    {"v2.routing.queues.{id}.conversations.chats", "Chat updates by queue", kQueuePerm},
    {"v2.routing.queues.{id}.conversations.emails", "Email updates by queue", kQueuePerm},
    {"v2.routing.queues.{id}.conversations.messages", "Message updates by queue", kQueuePerm},
    {"v2.users.{id}.conversations", "Updates to a user's conversations", ""},
    {"v2.users.{id}.presence", "Updates to a user's presence", ""},
    {"v2.users.{id}.routingStatus", "Updates to a user's routing status", ""},
    {"v2.analytics.queues.{id}.observations", "Queue observation metrics",
     "analytics:queueObservation:view"},
    {"v2.detail.events.conversation.{id}.customer.start", "Customer start detail event",
     kDetailPerm},
    {"v2.detail.events.conversation.{id}.customer.end", "Customer end detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.acd.start", "ACD start detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.acd.end", "ACD end detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.user.start", "User start detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.user.end", "User end detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.acw", "After-call work detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.wrapup", "Wrap-up detail event", kDetailPerm},
    {"v2.detail.events.conversation.{id}.attributes", "Attribute update detail event", kDetailPerm},
};

constexpr std::array<std::pair<std::string_view, NotificationFault>, 10> kFaultNames = {{
    {"stall", NotificationFault::kStall},
    {"resume", NotificationFault::kResume},
    {"close1001", NotificationFault::kClose1001},
    {"socket_closing", NotificationFault::kSocketClosing},
    {"duplicate", NotificationFault::kDuplicate},
    {"duplicate_exact", NotificationFault::kDuplicateExact},
    {"reorder", NotificationFault::kReorder},
    {"drop", NotificationFault::kDrop},
    {"token_revoked", NotificationFault::kTokenRevoked},
    {"no_longer_subscribed", NotificationFault::kNoLongerSubscribed},
}};

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto pos = text.find(sep, start);
        out.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) {
            return out;
        }
        start = pos + 1;
    }
}

ApiResponse unauthorized(std::string_view problem) {
    return error_body(401, problem,
                      problem == "credentials.expired"
                          ? "The authentication token has expired."
                          : "No authentication bearer token specified in authorization header.");
}

ApiResponse not_found() {
    return error_body(404, "not.found", "The requested resource was not found.");
}

bool query_flag(std::string_view target, std::string_view name) {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
        return false;
    }
    for (const auto& p : parsed->params()) {
        if (p.key == name) {
            std::string v = p.value;
            std::transform(v.begin(), v.end(), v.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            return v == "true";
        }
    }
    return false;
}

std::vector<std::string> query_values(std::string_view target, std::string_view name) {
    std::vector<std::string> out;
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
        return out;
    }
    for (const auto& p : parsed->params()) {
        if (p.key == name) {
            for (auto part : split(std::string_view(p.value), ',')) {
                if (!part.empty()) {
                    out.emplace_back(part);
                }
            }
        }
    }
    return out;
}

}  // namespace

const std::vector<TopicTemplate>& topic_catalogue() {
    return kCatalogue;
}

const TopicTemplate* match_topic(std::string_view topic) {
    const auto segments = split(topic, '.');
    for (const TopicTemplate& t : kCatalogue) {
        const auto pattern = split(t.id, '.');
        if (pattern.size() != segments.size()) {
            continue;
        }
        bool ok = true;
        for (std::size_t i = 0; i < pattern.size() && ok; ++i) {
            ok = pattern[i] == "{id}" ? !segments[i].empty() : pattern[i] == segments[i];
        }
        if (ok) {
            return &t;
        }
    }
    return nullptr;
}

std::string_view snapshot_queue_of(std::string_view topic) {
    constexpr std::string_view kPrefix = "v2.routing.queues.";
    constexpr std::string_view kSuffix = ".conversations";
    if (topic.size() <= kPrefix.size() + kSuffix.size() || !topic.starts_with(kPrefix) ||
        !topic.ends_with(kSuffix)) {
        return {};
    }
    const std::string_view id =
        topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
    return id.find('.') == std::string_view::npos ? id : std::string_view{};
}

std::optional<NotificationFault> parse_fault(std::string_view name) {
    for (const auto& [n, f] : kFaultNames) {
        if (n == name) {
            return f;
        }
    }
    return std::nullopt;
}

std::string_view fault_name(NotificationFault fault) {
    for (const auto& [n, f] : kFaultNames) {
        if (f == fault) {
            return n;
        }
    }
    return "unknown";
}

std::optional<PlannedFault> parse_planned_fault(std::string_view text) {
    const auto parts = split(text, ':');
    if (parts.size() < 2 || parts.size() > 3) {
        return std::nullopt;
    }
    PlannedFault p;
    const auto fault = parse_fault(parts[0]);
    if (!fault) {
        return std::nullopt;
    }
    p.fault = *fault;
    auto number = [](std::string_view s, auto& out) {
        const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc() && ptr == s.data() + s.size();
    };
    if (!number(parts[1], p.after)) {
        return std::nullopt;
    }
    if (parts.size() == 3 && (!number(parts[2], p.count) || p.count < 1)) {
        return std::nullopt;
    }
    return p;
}

FaultedStream::FaultedStream(Source source, std::vector<PlannedFault> plan, std::uint64_t seed)
    : source_(std::move(source))
    , plan_(std::move(plan))
    , seed_(seed) {
    std::stable_sort(plan_.begin(), plan_.end(), [](const PlannedFault& a, const PlannedFault& b) {
        return a.after < b.after;
    });
}

void FaultedStream::inject(NotificationFault fault, int count) {
    switch (fault) {
        case NotificationFault::kDrop:
            drop_ += count;
            break;
        case NotificationFault::kDuplicate:
            duplicate_ += count;
            break;
        case NotificationFault::kDuplicateExact:
            duplicate_exact_ += count;
            break;
        case NotificationFault::kReorder:
            reorder_ += count;
            break;
        default:
            actions_.push_back(fault);
            break;
    }
}

void FaultedStream::apply_plan() {
    while (plan_next_ < plan_.size() && plan_[plan_next_].after <= sent_) {
        inject(plan_[plan_next_].fault, plan_[plan_next_].count);
        ++plan_next_;
    }
}

std::vector<NotificationFault> FaultedStream::take_actions() {
    apply_plan();
    return std::exchange(actions_, {});
}

std::optional<NotificationMessage> FaultedStream::next() {
    apply_plan();
    for (;;) {
        if (!ready_.empty()) {
            NotificationMessage m = std::move(ready_.front());
            ready_.pop_front();
            ++sent_;
            return m;
        }
        std::optional<NotificationMessage> m = source_();
        if (!m) {
            return std::nullopt;
        }
        if (drop_ > 0) {
            --drop_;
            ++dropped_;
            continue;
        }
        if (reorder_ > 0) {
            --reorder_;
            if (auto later = source_()) {
                ready_.push_back(std::move(*later));
                ++reordered_;
            }
            ready_.push_back(std::move(*m));
            continue;
        }
        if (duplicate_ > 0) {
            --duplicate_;
            NotificationMessage copy = *m;
            // Redelivery: same body, new CorrelationId (seeded, so dry runs count the same).
            copy.correlation_id = Rng(seed_ ^ (0xD0B1EULL + duplicated_ * 0x9E37ULL)).uuid();
            ready_.push_back(std::move(*m));
            ready_.push_back(std::move(copy));
            ++duplicated_;
            continue;
        }
        if (duplicate_exact_ > 0) {
            --duplicate_exact_;
            ready_.push_back(*m);
            ready_.push_back(std::move(*m));
            ++duplicated_exact_;
            continue;
        }
        ++sent_;
        return m;
    }
}

ApiResponse too_many_requests(int retry_after_s) {
    ApiResponse r;
    r.status = 429;
    r.body = json::serialize(json::object{
        {"message",
         fmt::format("Rate limit exceeded the maximum. Retry the request in [{}] seconds",
                     retry_after_s)},
        {"code", "too.many.requests.retry.after"},
        {"status", 429},
        {"contextId", random_uuid()},
        {"details", json::array{}},
        {"errors", json::array{}}});
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    r.headers.emplace_back("inin-ratelimit-reset", std::to_string(retry_after_s));
    return r;
}

NotificationsApi::NotificationsApi(const EmulatorOptions& options, Counters& counters, Api& auth)
    : options_(options)
    , counters_(counters)
    , auth_(auth) {}

std::string NotificationsApi::new_channel_id() {
    std::string alnum;
    while (alnum.size() < 26) {
        for (char c : random_uuid()) {
            if (c != '-' && alnum.size() < 26) {
                alnum += c;
            }
        }
    }
    return fmt::format("streaming-{}-{}", id_counter_++ % 10, alnum);
}

std::string NotificationsApi::channel_json(const Channel& c) const {
    return json::serialize(json::object{
        {"connectUri", fmt::format("{}{}{}", socket_origin_, kChannelSocketPrefix, c.id)},
        {"id", c.id},
        {"expires", c.expires_text}});
}

Channel* NotificationsApi::find(std::string_view channel_id, Clock::time_point now) {
    expire(now);
    for (Channel& c : channels_) {
        if (c.id == channel_id) {
            return &c;
        }
    }
    return nullptr;
}

void NotificationsApi::expire(Clock::time_point now) {
    std::vector<std::string> gone;
    for (const Channel& c : channels_) {
        if (now >= c.expires) {
            gone.push_back(c.id);
        }
    }
    for (const auto& id : gone) {
        remove(id, ChannelGone::kExpired);
    }
}

bool NotificationsApi::remove(const std::string& channel_id, ChannelGone why) {
    const auto it = std::find_if(channels_.begin(), channels_.end(),
                                 [&](const Channel& c) { return c.id == channel_id; });
    if (it == channels_.end()) {
        return false;
    }
    channels_.erase(it);
    if (why == ChannelGone::kEvicted)
        counters_.channels_evicted++;
    if (why == ChannelGone::kExpired)
        counters_.channels_expired++;
    if (gone_) {
        gone_(channel_id, why);
    }
    return true;
}

void NotificationsApi::clear_topics(const std::string& channel_id) {
    for (Channel& c : channels_) {
        if (c.id == channel_id) {
            c.topics.clear();
            c.topic_set.clear();
        }
    }
}

void NotificationsApi::set_connected(const std::string& channel_id,
                                     bool connected,
                                     Clock::time_point now) {
    for (Channel& c : channels_) {
        if (c.id == channel_id) {
            c.connected = connected;
            c.last_used = now;
        }
    }
}

void NotificationsApi::revoke_tokens() {
    auth_.revoke_tokens();
    std::vector<std::string> ids;
    for (const Channel& c : channels_) {
        ids.push_back(c.id);
    }
    for (const auto& id : ids) {
        remove(id, ChannelGone::kTokenRevoked);
    }
}

std::optional<ApiResponse> NotificationsApi::handle(
    const ApiRequest& request,
    Clock::time_point now,
    std::chrono::system_clock::time_point wall_now) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    const bool channels = path.starts_with(kChannelsPath);
    const bool topics = path == kAvailableTopicsPath;
    if (!channels && !topics) {
        return std::nullopt;
    }
    const std::string token(bearer_token(request.authorization));
    if (const auto problem = auth_.token_problem(token, now); !problem.empty()) {
        return unauthorized(problem);
    }
    expire(now);
    if (topics) {
        return request.method == "GET" ? available_topics(request) : not_found();
    }
    std::string_view rest = path.substr(kChannelsPath.size());
    if (rest.empty() || rest == "/") {
        if (request.method == "POST")
            return create_channel(token, now, wall_now);
        if (request.method == "GET")
            return list_channels(request, token);
        return not_found();
    }
    if (rest.front() != '/') {
        return not_found();
    }
    rest.remove_prefix(1);
    const auto slash = rest.find('/');
    const std::string_view id = rest.substr(0, slash);
    const std::string_view tail =
        slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    Channel* channel = find(id, now);
    if (tail.empty()) {
        if (request.method != "HEAD") {
            return not_found();  // there is no GET or DELETE of one channel (API-NOTES.md §3.1)
        }
        ApiResponse r;
        r.status = channel ? 200 : 404;
        return r;
    }
    if (tail != "/subscriptions") {
        return not_found();
    }
    if (!channel) {
        return error_body(404, "not.found", fmt::format("Channel {} was not found.", id));
    }
    return subscriptions(request, *channel, now, wall_now);
}

ApiResponse NotificationsApi::create_channel(const std::string& token,
                                             Clock::time_point now,
                                             std::chrono::system_clock::time_point wall_now) {
    if (creates_seen_ < options_.channel_create_429_count) {
        ++creates_seen_;
        return too_many_requests(options_.retry_after_s);
    }
    const std::string client = auth_.token_client(token);
    // 20 channels per user/app: the 21st removes the oldest-last-used, unconnected first
    // (API-NOTES.md §3.1).
    std::size_t mine = 0;
    for (const Channel& c : channels_) {
        mine += c.client_id == client ? 1 : 0;
    }
    if (mine >= options_.max_channels) {
        const Channel* victim = nullptr;
        for (const Channel& c : channels_) {
            if (c.client_id != client)
                continue;
            if (!victim || (victim->connected && !c.connected) ||
                (victim->connected == c.connected && c.last_used < victim->last_used)) {
                victim = &c;
            }
        }
        if (victim) {
            remove(std::string(victim->id), ChannelGone::kEvicted);
        }
    }
    Channel c;
    c.id = new_channel_id();
    c.client_id = client;
    c.token = token;
    c.expires = now + std::chrono::milliseconds(options_.channel_ttl_ms);
    c.expires_text = core::format_rfc3339(core::Instant{
        std::chrono::duration_cast<std::chrono::nanoseconds>(wall_now.time_since_epoch()).count() +
            options_.channel_ttl_ms * 1'000'000,
        3});
    c.last_used = now;
    channels_.push_back(std::move(c));
    counters_.channels_created++;
    ApiResponse r;
    r.body = channel_json(channels_.back());
    return r;
}

ApiResponse NotificationsApi::list_channels(const ApiRequest& request, const std::string& token) {
    const auto include = query_values(request.target, "includechannels");
    const bool by_client = !include.empty() && include.front() == "oauthclient";
    const std::string client = auth_.token_client(token);
    std::string out = R"({"entities":[)";
    bool first = true;
    for (const Channel& c : channels_) {
        if (by_client ? c.client_id != client : c.token != token) {
            continue;
        }
        if (!first)
            out += ',';
        first = false;
        out += channel_json(c);
    }
    out += "]}";
    ApiResponse r;
    r.body = std::move(out);
    return r;
}

ApiResponse NotificationsApi::subscriptions(const ApiRequest& request,
                                            Channel& channel,
                                            Clock::time_point now,
                                            std::chrono::system_clock::time_point wall_now) {
    auto listing = [](const Channel& c, const json::array& rejected) {
        json::array entities;
        for (const auto& t : c.topics) {
            entities.push_back(json::object{{"id", t}, {"state", "Permitted"}});
        }
        for (const auto& r : rejected) {
            entities.push_back(r);
        }
        ApiResponse r;
        r.body = json::serialize(json::object{{"entities", std::move(entities)}});
        return r;
    };
    if (request.method == "GET") {
        return listing(channel, {});
    }
    const std::string id = channel.id;
    if (request.method == "DELETE") {
        channel.topics.clear();
        channel.topic_set.clear();
        channel.last_used = now;
        if (changed_)
            changed_(id);
        ApiResponse r;
        r.body.clear();
        return r;
    }
    if (request.method != "POST" && request.method != "PUT") {
        return not_found();
    }
    if (subscription_calls_seen_ < options_.subscribe_429_count) {
        ++subscription_calls_seen_;
        return too_many_requests(options_.retry_after_s);
    }
    boost::system::error_code ec;
    const json::value body = json::parse(request.body, ec);
    if (ec || !body.is_array()) {
        return error_body(400, "bad.request",
                          "The request body must be a JSON array of {\"id\": topic} objects.");
    }
    std::vector<std::string> requested;
    for (const auto& item : body.as_array()) {
        const auto* obj = item.if_object();
        const auto* topic = obj ? obj->if_contains("id") : nullptr;
        if (!topic || !topic->is_string() || topic->as_string().empty()) {
            return error_body(400, "bad.request", "Each topic must be an object with a string id.");
        }
        std::string t(topic->as_string());
        if (std::find(requested.begin(), requested.end(), t) == requested.end()) {
            requested.push_back(std::move(t));
        }
    }
    const bool ignore_errors = query_flag(request.target, "ignoreErrors");
    json::array rejected;
    std::vector<std::string> permitted;
    std::vector<std::string> missing;
    for (const auto& t : requested) {
        const TopicTemplate* tpl = match_topic(t);
        const bool forbidden = std::any_of(
            options_.forbidden_topic_prefixes.begin(), options_.forbidden_topic_prefixes.end(),
            [&](const std::string& p) { return !p.empty() && t.starts_with(p); });
        if (forbidden) {
            missing.push_back(t);
            rejected.push_back(json::object{
                {"id", t},
                {"state", "Rejected"},
                {"rejectionReason", "Missing permissions"},
                {"missingPermissions", json::array{json::string(options_.missing_permission)}}});
        } else if (!tpl) {
            rejected.push_back(json::object{
                {"id", t}, {"state", "Rejected"}, {"rejectionReason", "Topic not found"}});
        } else {
            permitted.push_back(t);
        }
    }
    if (!missing.empty() && !ignore_errors) {
        // Since 2022-03 one unpermitted topic fails the whole request (API-NOTES.md §3.3).
        ApiResponse r =
            error_body(403, "missing.permissions",
                       fmt::format("Unable to subscribe to [{}]: missing permission [{}]",
                                   missing.front(), options_.missing_permission));
        return r;
    }
    std::vector<std::string> next =
        request.method == "PUT" ? std::vector<std::string>{} : channel.topics;
    std::unordered_set<std::string> next_set(next.begin(), next.end());
    for (auto& t : permitted) {
        if (next_set.insert(t).second) {
            next.push_back(t);
        }
    }
    if (next.size() > options_.max_topics) {
        return error_body(400, "bad.request",
                          fmt::format("A channel can have at most {} topics; this request would "
                                      "make it {}.",
                                      options_.max_topics, next.size()));
    }
    channel.topics = std::move(next);
    channel.topic_set = std::move(next_set);
    channel.last_used = now;
    // Resubscribing extends the channel's life (API-NOTES.md §3.3).
    channel.expires = now + std::chrono::milliseconds(options_.channel_ttl_ms);
    channel.expires_text = core::format_rfc3339(core::Instant{
        std::chrono::duration_cast<std::chrono::nanoseconds>(wall_now.time_since_epoch()).count() +
            options_.channel_ttl_ms * 1'000'000,
        3});
    ApiResponse r = listing(channel, rejected);
    if (changed_)
        changed_(id);
    return r;
}

ApiResponse NotificationsApi::available_topics(const ApiRequest& request) const {
    const auto expand = query_values(request.target, "expand");
    auto has = [&](std::string_view name) {
        return std::find(expand.begin(), expand.end(), name) != expand.end();
    };
    json::array entities;
    for (const TopicTemplate& t : kCatalogue) {
        json::object e{{"id", t.id}, {"description", t.description}};
        if (has("requiresPermissions")) {
            json::array perms;
            if (!t.permission.empty())
                perms.push_back(json::string(t.permission));
            e["requiresPermissions"] = std::move(perms);
        }
        if (has("enforced"))
            e["enforced"] = false;
        if (has("visibility"))
            e["visibility"] = "Public";
        if (has("transports"))
            e["transports"] = json::array{"All"};
        if (has("topicParameters"))
            e["topicParameters"] = json::array{"id"};
        if (has("schema")) {
            e["schema"] = json::object{{"type", "object"}};
        }
        entities.push_back(std::move(e));
    }
    ApiResponse r;
    r.body = json::serialize(json::object{{"entities", std::move(entities)}});
    return r;
}

}  // namespace gstream::emulator
