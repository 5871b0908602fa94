#include "emulator/conversation_generator.hpp"

#include <deque>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/time.hpp"
#include "emulator/rng.hpp"

namespace gstream::emulator {
namespace {

namespace json = boost::json;

// 2026-11-30T08:00:00Z: a fixed base keeps the output independent of the wall clock.
constexpr std::int64_t kBaseMs = core::days_from_civil(2026, 11, 30) * 86'400'000 + 8 * 3'600'000;
constexpr std::uint32_t kUsers = 16;

std::string iso(std::int64_t ms) {
    return core::format_rfc3339(core::Instant{ms * 1'000'000, 3});
}

enum : std::size_t { kQueued, kAlerting, kContact, kAcw, kEnded };

// One participant with one call (voice) media leg. Empty strings are left out of the JSON.
struct Leg {
    std::string id, purpose, user_id, queue_id, name, address;
    std::string connected_time, end_time, start_acw_time, end_acw_time;
    std::string call_id, state, initial_state, direction = "inbound";
    std::string call_connected, call_disconnected, disconnect_type;
    std::string acw_state, acw_start, acw_end;
    bool wrapup_required = false;
    bool acw_required = false;
    std::string wrapup_code;
};

json::object leg_json(const Leg& l) {
    json::object p;
    p["id"] = l.id;
    if (!l.connected_time.empty())
        p["connectedTime"] = l.connected_time;
    if (!l.end_time.empty())
        p["endTime"] = l.end_time;
    if (!l.user_id.empty())
        p["userId"] = l.user_id;
    if (!l.name.empty())
        p["name"] = l.name;
    p["queueId"] = l.queue_id;
    if (!l.address.empty())
        p["address"] = l.address;
    p["purpose"] = l.purpose;
    p["wrapupRequired"] = l.wrapup_required;
    if (l.purpose == "agent") {
        p["wrapupExpected"] = true;
        p["wrapupPrompt"] = "optional";
        p["alertingTimeoutMs"] = 30000;
    }
    if (!l.start_acw_time.empty())
        p["startAcwTime"] = l.start_acw_time;
    if (!l.end_acw_time.empty())
        p["endAcwTime"] = l.end_acw_time;
    if (!l.wrapup_code.empty()) {
        p["wrapup"] = json::object{{"code", l.wrapup_code}, {"notes", ""}};
    }
    json::object routing{
        {"queue", l.purpose == "acd" ? json::object{{"id", l.queue_id}} : json::object{}},
        {"language", json::object{}},
        {"priority", 0}};
    if (l.purpose != "customer")
        p["conversationRoutingData"] = std::move(routing);
    p["attributes"] = json::object{};
    json::object call;
    call["state"] = l.state;
    call["initialState"] = l.initial_state;
    call["id"] = l.call_id;
    call["direction"] = l.direction;
    call["held"] = false;
    if (!l.disconnect_type.empty())
        call["disconnectType"] = l.disconnect_type;
    call["provider"] = "Edge";
    if (!l.call_connected.empty())
        call["connectedTime"] = l.call_connected;
    if (!l.call_disconnected.empty())
        call["disconnectedTime"] = l.call_disconnected;
    if (!l.acw_state.empty()) {
        json::object acw{{"state", l.acw_state}};
        if (!l.acw_start.empty())
            acw["startTime"] = l.acw_start;
        if (!l.acw_end.empty())
            acw["endTime"] = l.acw_end;
        call["afterCallWork"] = std::move(acw);
    }
    call["afterCallWorkRequired"] = l.acw_required;
    p["calls"] = json::array{std::move(call)};
    return p;
}

struct Conversation {
    std::string id, queue_id, ani, dnis;
    std::vector<Leg> legs;  // snapshot order: customer, acd, agents...
    std::deque<NotificationMessage> out;
};

class ScriptBuilder {
public:
    ScriptBuilder(Rng& rng, Conversation& c, ExpectedTransitions& expected)
        : rng_(rng)
        , c_(c)
        , expected_(expected) {}

    void snapshot() {
        json::array participants;
        for (const Leg& l : c_.legs) {
            participants.push_back(leg_json(l));
        }
        json::object body{
            {"id", c_.id}, {"participants", std::move(participants)}, {"recordingState", "none"}};
        push(NotificationMessage::Kind::kSnapshot,
             fmt::format("v2.routing.queues.{}.conversations", c_.queue_id), json::serialize(body));
    }

    void expect(std::size_t state, const Leg& leg) {
        expected_.keys[state].push_back(
            fmt::format("{}:{}:{}", c_.id, leg.id, kLifecycleStates[state]));
    }

    // A detail event (API-NOTES.md §4.2): common fields plus `extra`.
    void detail(std::string_view kind, std::int64_t t, const Leg& leg, json::object extra) {
        json::object body{
            {"eventTime", t},           {"conversationId", c_.id}, {"participantId", leg.id},
            {"sessionId", leg.call_id}, {"mediaType", "VOICE"},    {"provider", "Edge"},
            {"direction", "INBOUND"},   {"ani", c_.ani},           {"dnis", c_.dnis}};
        for (auto& member : extra) {
            body[member.key()] = std::move(member.value());
        }
        push(NotificationMessage::Kind::kDetail,
             fmt::format("v2.detail.events.conversation.{}.{}", c_.id, kind),
             json::serialize(body));
    }

private:
    void push(NotificationMessage::Kind kind, std::string topic, std::string body) {
        NotificationMessage m;
        m.kind = kind;
        m.topic_name = std::move(topic);
        m.event_body = std::move(body);
        m.correlation_id = rng_.uuid();
        c_.out.push_back(std::move(m));
    }

    Rng& rng_;
    Conversation& c_;
    ExpectedTransitions& expected_;
};

std::string phone(Rng& rng) {
    return fmt::format("tel:+1555{:07d}", rng.range(0, 9'999'999));
}

// Plays one conversation into c.out (see docs/emulator.md "Conversation scripts").
void build(Rng& rng,
           Conversation& c,
           std::int64_t t,
           const std::vector<std::string>& users,
           ExpectedTransitions& expected) {
    ScriptBuilder b(rng, c, expected);
    c.ani = phone(rng);
    c.dnis = phone(rng);
    auto new_leg = [&](std::string purpose) {
        Leg l;
        l.id = rng.uuid();
        l.call_id = rng.uuid();
        l.purpose = std::move(purpose);
        l.queue_id = c.queue_id;
        return l;
    };
    // queued: the customer is connected, the acd leg holds the call in the queue.
    Leg customer = new_leg("customer");
    customer.address = c.ani;
    customer.name = "Customer";
    customer.connected_time = customer.call_connected = iso(t);
    customer.state = customer.initial_state = "connected";
    b.detail("customer.start", t, customer, {});
    t += rng.range(200, 3000);
    Leg acd = new_leg("acd");
    acd.connected_time = acd.call_connected = iso(t);
    acd.state = acd.initial_state = "connected";
    c.legs = {customer, acd};
    const std::size_t kCustomer = 0, kAcd = 1;
    b.snapshot();
    b.expect(kQueued, acd);
    b.detail("acd.start", t, acd, {{"queueId", c.queue_id}, {"routingPriority", 0}});

    auto customer_ends = [&](std::int64_t when, std::string_view type, bool terminated) {
        Leg& cu = c.legs[kCustomer];
        cu.state = terminated ? "terminated" : "disconnected";
        if (!terminated) {
            cu.disconnect_type = std::string(type);
        }
        cu.call_disconnected = cu.end_time = iso(when);
    };
    const std::int64_t queued_at = t;

    // Abandon while queued.
    if (rng.chance(0.1)) {
        t += rng.range(5000, 60000);
        customer_ends(t, "endpoint", false);
        Leg& a = c.legs[kAcd];
        a.state = "disconnected";
        a.disconnect_type = "peer";
        a.call_disconnected = a.end_time = iso(t);
        b.snapshot();
        b.expect(kEnded, c.legs[kCustomer]);
        b.detail("acd.end", t, c.legs[kAcd],
                 {{"queueId", c.queue_id},
                  {"disconnectType", "PEER"},
                  {"acdOutcome", "ABANDON"},
                  {"connectedDurationMs", t - queued_at}});
        b.detail("customer.end", t, c.legs[kCustomer],
                 {{"disconnectType", "ENDPOINT"}, {"interactingDurationMs", 0}});
        return;
    }

    // Agent offers: 0..2 of them end without contact (reject or alert timeout), then one answers.
    int rejects = rng.chance(0.3) ? (rng.chance(0.3) ? 2 : 1) : 0;
    std::size_t agent_index = 0;
    std::string user_id;
    for (int offer = 0; offer <= rejects; ++offer) {
        t += rng.range(1000, 20000);
        Leg agent = new_leg("agent");
        user_id = users[static_cast<std::size_t>(rng.range(0, kUsers - 1))];
        agent.user_id = user_id;
        agent.state = agent.initial_state = "alerting";
        c.legs.push_back(agent);
        agent_index = c.legs.size() - 1;
        b.snapshot();
        b.expect(kAlerting, agent);
        b.detail("user.start", t, agent, {{"userId", user_id}, {"queueId", c.queue_id}});
        const std::int64_t alerted_at = t;
        if (offer < rejects) {
            const bool timeout = rng.chance(0.5);
            t += timeout ? 30000 : rng.range(1000, 10000);
            Leg& a = c.legs[agent_index];
            a.state = "disconnected";
            a.disconnect_type = timeout ? "system" : "client";
            a.call_disconnected = a.end_time = iso(t);
            b.snapshot();
            b.detail("user.end", t, a,
                     {{"userId", user_id},
                      {"queueId", c.queue_id},
                      {"disconnectType", timeout ? "SYSTEM" : "CLIENT"},
                      {"alertingDurationMs", t - alerted_at}});
        }
    }

    // contact: the agent answers, the acd leg leaves the queue by transfer.
    const std::int64_t alerted_at = t;
    t += rng.range(1000, 15000);
    {
        Leg& a = c.legs[kAcd];
        a.state = "disconnected";
        a.disconnect_type = "transfer";
        a.call_disconnected = a.end_time = iso(t);
        Leg& g = c.legs[agent_index];
        g.state = "connected";
        g.connected_time = g.call_connected = iso(t);
    }
    b.snapshot();
    b.expect(kContact, c.legs[agent_index]);
    b.detail("acd.end", t, c.legs[kAcd],
             {{"queueId", c.queue_id},
              {"disconnectType", "TRANSFER"},
              {"acdOutcome", "ANSWERED"},
              {"answeredUserId", user_id},
              {"usedRouting", "STANDARD"},
              {"connectedDurationMs", t - queued_at}});
    const std::int64_t contact_at = t;
    t += rng.range(30000, 300000);

    // The end: 0 customer hangs up then acw, 1 agent hangs up first (acw before the end),
    // 2 both legs connected -> terminated, 3 customer hangs up and after-call work is skipped.
    const double u = rng.uniform();
    const int ending = u < 0.6 ? 0 : u < 0.75 ? 1 : u < 0.9 ? 2 : 3;
    Leg& g = c.legs[agent_index];
    auto agent_disconnects = [&](std::int64_t when, std::string_view type, bool acw) {
        Leg& ag = c.legs[agent_index];
        ag.state = "disconnected";
        ag.disconnect_type = std::string(type);
        ag.call_disconnected = iso(when);
        ag.wrapup_required = acw;
        ag.acw_required = acw;
        if (acw) {
            ag.acw_state = "pending";
            ag.acw_start = ag.start_acw_time = iso(when);
        } else {
            ag.acw_state = "skipped";
            ag.end_time = iso(when);
        }
    };
    auto customer_end_detail = [&](std::int64_t when, std::string_view type) {
        b.detail("customer.end", when, c.legs[kCustomer],
                 {{"disconnectType", type}, {"interactingDurationMs", when - contact_at}});
    };
    std::int64_t acw_at = -1;
    if (ending == 0 || ending == 3) {
        customer_ends(t, "endpoint", false);
        agent_disconnects(t, "peer", ending == 0);
        b.snapshot();
        if (ending == 0) {
            b.expect(kAcw, g);
            acw_at = t;
        }
        b.expect(kEnded, c.legs[kCustomer]);
        customer_end_detail(t, "ENDPOINT");
    } else if (ending == 1) {
        agent_disconnects(t, "client", true);
        acw_at = t;
        b.snapshot();
        b.expect(kAcw, g);
        t += rng.range(1000, 10000);
        customer_ends(t, "peer", false);
        b.snapshot();
        b.expect(kEnded, c.legs[kCustomer]);
        customer_end_detail(t, "PEER");
    } else {
        customer_ends(t, "", true);
        Leg& ag = c.legs[agent_index];
        ag.state = "terminated";
        ag.call_disconnected = ag.end_time = iso(t);
        b.snapshot();
        b.expect(kEnded, c.legs[kCustomer]);
        customer_end_detail(t, "SYSTEM");
    }
    if (acw_at >= 0) {
        t += rng.range(5000, 60000);
        Leg& ag = c.legs[agent_index];
        ag.acw_state = "complete";
        ag.acw_end = ag.end_acw_time = ag.end_time = iso(t);
        ag.wrapup_code = "7fb334b0-0e9e-11e4-9191-0800200c9a66";
        b.snapshot();
        b.detail("acw", t, ag,
                 {{"userId", user_id},
                  {"queueId", c.queue_id},
                  {"wrapupCode", ag.wrapup_code},
                  {"wrapupNotes", ""},
                  {"wrapupDurationMs", t - acw_at}});
    }
    b.detail("user.end", t, c.legs[agent_index],
             {{"userId", user_id},
              {"queueId", c.queue_id},
              {"disconnectType", ending == 1   ? "CLIENT"
                                 : ending == 2 ? "SYSTEM"
                                               : "PEER"},
              {"interactingDurationMs", (acw_at >= 0 ? acw_at : t) - contact_at},
              {"alertingDurationMs", contact_at - alerted_at}});
}

}  // namespace

std::string render_notification(const NotificationMessage& m) {
    std::string out;
    out.reserve(m.topic_name.size() + m.event_body.size() + 120);
    out += R"({"topicName":)";
    out += json::serialize(json::string_view(m.topic_name));
    out += R"(,"version":"2","eventBody":)";
    out += m.event_body;
    out += R"(,"metadata":{"CorrelationId":)";
    out += json::serialize(json::string_view(m.correlation_id));
    out += "}}";
    return out;
}

std::string topic_kind(std::string_view topic) {
    // Segments that hold ids: UUID-like (contain '-' and hex digits) or long digit/alnum strings.
    std::string out;
    std::size_t start = 0;
    while (start <= topic.size()) {
        auto dot = topic.find('.', start);
        if (dot == std::string_view::npos)
            dot = topic.size();
        const std::string_view seg = topic.substr(start, dot - start);
        const bool id = seg.size() >= 8 && seg.find('-') != std::string_view::npos;
        if (!out.empty())
            out += '.';
        out += id ? std::string_view("{id}") : seg;
        start = dot + 1;
    }
    return out;
}

std::size_t ExpectedTransitions::total() const {
    std::size_t n = 0;
    for (const auto& k : keys)
        n += k.size();
    return n;
}

std::vector<std::string> conversation_ids(std::uint64_t seed, std::uint32_t count) {
    Rng rng(seed * 0x9E3779B97F4A7C15ULL ^ 0xC0FFEEULL);
    std::vector<std::string> ids;
    ids.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        ids.push_back(rng.uuid());
    }
    return ids;
}

struct ConversationGenerator::State {
    ConversationScriptOptions options;
    std::vector<std::string> ids;
    std::vector<std::string> users;
    Rng rng;
    std::uint32_t started = 0;
    std::int64_t next_start_ms = kBaseMs;
    std::vector<Conversation> active;
    ExpectedTransitions expected;

    explicit State(ConversationScriptOptions o)
        : options(std::move(o))
        , rng(options.seed ^ 0x5EEDULL) {
        if (options.queue_ids.empty()) {
            options.conversations = 0;
        }
        ids = conversation_ids(options.seed, options.conversations);
        Rng user_rng(options.seed ^ 0x05E25ULL);
        for (std::uint32_t i = 0; i < kUsers; ++i) {
            users.push_back(user_rng.uuid());
        }
        if (options.concurrency == 0) {
            options.concurrency = 1;
        }
    }

    void fill() {
        while (active.size() < options.concurrency && started < options.conversations) {
            Conversation c;
            c.id = ids[started];
            c.queue_id = options.queue_ids[started % options.queue_ids.size()];
            build(rng, c, next_start_ms, users, expected);
            next_start_ms += rng.range(1000, 20000);
            ++started;
            active.push_back(std::move(c));
        }
    }
};

ConversationGenerator::ConversationGenerator(ConversationScriptOptions options)
    : state_(std::make_unique<State>(std::move(options))) {}
ConversationGenerator::~ConversationGenerator() = default;
ConversationGenerator::ConversationGenerator(ConversationGenerator&&) noexcept = default;
ConversationGenerator& ConversationGenerator::operator=(ConversationGenerator&&) noexcept = default;

std::optional<NotificationMessage> ConversationGenerator::next() {
    State& s = *state_;
    s.fill();
    if (s.active.empty()) {
        return std::nullopt;
    }
    const auto pick =
        static_cast<std::size_t>(s.rng.range(0, static_cast<std::int64_t>(s.active.size()) - 1));
    Conversation& c = s.active[pick];
    NotificationMessage m = std::move(c.out.front());
    c.out.pop_front();
    if (c.out.empty()) {
        s.active.erase(s.active.begin() + static_cast<std::ptrdiff_t>(pick));
    }
    return m;
}

const ExpectedTransitions& ConversationGenerator::transitions() const {
    return state_->expected;
}

}  // namespace gstream::emulator
