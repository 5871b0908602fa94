#include "emulator/generator.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <queue>
#include <utility>

#include <fmt/format.h>

#include "core/time.hpp"
#include "emulator/emulator.hpp"
#include "emulator/rng.hpp"

namespace gstream::emulator {
namespace {


// Stable ids derived from the seed, one family per salt.
std::vector<std::string> stable_ids(std::uint64_t seed, std::uint64_t salt, std::uint32_t count) {
    Rng rng(seed * 0x100000001b3ULL ^ salt);
    std::vector<std::string> ids;
    ids.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        ids.push_back(rng.uuid());
    }
    return ids;
}

// 2026-11-30T08:00:00Z: a fixed base keeps the output independent of the wall clock.
constexpr std::int64_t kBaseMs = core::days_from_civil(2026, 11, 30) * 86'400'000 + 8 * 3'600'000;

enum class Kind : std::uint8_t {
    kCustomerStart,
    kAcdStart,
    kAcdEnd,
    kUserStart,
    kUserEnd,
    kAcw,
    kCustomerEnd,
};

constexpr std::array<std::string_view, 7> kEventTypes = {
    "customer.start", "acd.start", "acd.end", "user.start", "user.end", "acw", "customer.end"};

/// How the envelope timestamp is written (all denote eventTime exactly).
enum class TsStyle : std::uint8_t { kZ3, kPlus1h3, kZ1, kZ6, kMinus5h9, kPlus1h1 };

struct Media {
    std::string_view media_type;
    std::string_view provider;
    std::string_view message_type;  // empty when not a message
};
constexpr std::array<Media, 5> kMedia = {{{"VOICE", "Edge", ""},
                                          {"CHAT", "PureCloud Webchat v2", ""},
                                          {"MESSAGE", "PureCloud Messaging", "WEBMESSAGING"},
                                          {"EMAIL", "PureCloud Email", ""},
                                          {"CALLBACK", "PureCloud Callback", ""}}};

struct Conversation {
    std::string conversation_id;
    std::array<std::string, 3> participant_ids;  // customer, acd, agent
    std::array<std::string, 3> session_ids;
    std::size_t media = 0;
    std::string ani, dnis;
    std::size_t queue = 0, user = 0, wrapup = 0;
    bool abandoned = false;
    std::int64_t start_ms = 0;
    std::int64_t wait_ms = 0, alert_ms = 0, talk_ms = 0, held_ms = 0, acw_ms = 0;
    std::string_view customer_disconnect, user_disconnect;
    int routing_priority = 0;
};

struct BaseEvent {
    std::int64_t time_ms = 0;
    std::uint64_t seq = 0;
    Kind kind = Kind::kCustomerStart;
    TsStyle style = TsStyle::kZ3;
    std::shared_ptr<const Conversation> conv;
};

struct ByTime {
    bool operator()(const BaseEvent& a, const BaseEvent& b) const {
        return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.seq > b.seq;
    }
};

enum class Fault : std::uint8_t { kNone, kSchema, kBadTimestamp, kDuplicateKey };

struct ReadyEvent {
    double key = 0;
    std::uint64_t seq = 0;
    std::string json;
    bool duplicate = false;  // re-send a copy later
};

struct ByKey {
    bool operator()(const ReadyEvent& a, const ReadyEvent& b) const {
        return a.key != b.key ? a.key > b.key : a.seq > b.seq;
    }
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

struct Civil {
    std::int64_t y;
    unsigned m, d;
};

// Howard Hinnant's civil_from_days.
Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {y + (m <= 2 ? 1 : 0), m, d};
}

enum class BadTs { kNone, kNoOffset, kFeb30 };

void append_timestamp(std::string& out, std::int64_t ms, TsStyle style, BadTs bad) {
    int offset_min = 0;
    int digits = 3;
    switch (style) {
        case TsStyle::kZ3: break;
        case TsStyle::kPlus1h3: offset_min = 60; break;
        case TsStyle::kZ1: digits = 1; break;
        case TsStyle::kZ6: digits = 6; break;
        case TsStyle::kMinus5h9: offset_min = -300; digits = 9; break;
        case TsStyle::kPlus1h1: offset_min = 60; digits = 1; break;
    }
    if (bad != BadTs::kNone) {
        offset_min = 0;
    }
    const std::int64_t local = ms + std::int64_t{offset_min} * 60'000;
    const std::int64_t days = floor_div(local, 86'400'000);
    const std::int64_t in_day = local - days * 86'400'000;
    Civil c = civil_from_days(days);
    if (bad == BadTs::kFeb30) {
        c.m = 2;
        c.d = 30;
    }
    const auto millis = static_cast<int>(in_day % 1000);
    const auto secs = in_day / 1000;
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.y, c.m, c.d,
                   secs / 3600, (secs / 60) % 60, secs % 60);
    switch (digits) {
        case 1: fmt::format_to(std::back_inserter(out), ".{}", millis / 100); break;
        case 6: fmt::format_to(std::back_inserter(out), ".{:03}000", millis); break;
        case 9: fmt::format_to(std::back_inserter(out), ".{:03}000000", millis); break;
        default: fmt::format_to(std::back_inserter(out), ".{:03}", millis); break;
    }
    if (bad == BadTs::kNoOffset) {
        return;
    }
    if (offset_min == 0) {
        out += 'Z';
    } else {
        const int a = offset_min < 0 ? -offset_min : offset_min;
        fmt::format_to(std::back_inserter(out), "{}{:02}:{:02}", offset_min < 0 ? '-' : '+',
                       a / 60, a % 60);
    }
}

constexpr std::array<std::string_view, 3> kCustomerDisconnects = {"ENDPOINT", "PEER", "CLIENT"};
constexpr std::array<std::string_view, 3> kUserDisconnects = {"CLIENT", "PEER", "ENDPOINT"};
constexpr std::uint32_t kUsers = 50;
constexpr std::uint32_t kWrapupCodes = 6;
constexpr std::uint64_t kControlEvery = 10;  // one control message after every 10 data messages

}  // namespace

std::string_view interaction_state(std::string_view event_type, std::string_view acd_outcome) {
    if (event_type == "acd.start") {
        return "queued";
    }
    if (event_type == "user.start") {
        return "alerting";
    }
    if (event_type == "acd.end" && acd_outcome == "ANSWERED") {
        return "contact";
    }
    if (event_type == "acw" || event_type == "wrapup") {
        return "acw";
    }
    if (event_type == "customer.end") {
        return "ended";
    }
    return {};
}

bool StreamFilter::passes(std::string_view event_type, std::string_view queue_id,
                          std::string_view acd_outcome) const {
    if (!queue_ids.empty() && !queue_id.empty() &&
        std::find(queue_ids.begin(), queue_ids.end(), queue_id) == queue_ids.end()) {
        return false;
    }
    if (!states.empty()) {
        const std::string_view state = interaction_state(event_type, acd_outcome);
        if (state.empty() || std::find(states.begin(), states.end(), state) == states.end()) {
            return false;
        }
    }
    return true;
}

std::string Manifest::to_json() const {
    std::string queue_list;
    for (const auto& q : queues) {
        if (!queue_list.empty()) {
            queue_list += ',';
        }
        queue_list += '"';
        queue_list += q;
        queue_list += '"';
    }
    return fmt::format(
        R"({{"events":{},"messages":{},"control_messages":{},"valid":{},"duplicates":{},)"
        R"("dead_lettered":{{"not_json":{},"schema":{},"bad_timestamp":{},"duplicate_key":{}}},)"
        R"("delivered":{},"filtered_server_side":{},"generated":{},"queues":[{}]}})",
        events, messages, control_messages, valid, duplicates, not_json, schema, bad_timestamp,
        duplicate_key, delivered, filtered_server_side, generated, queue_list);
}

std::string render(const GeneratedMessage& message, std::string_view subscription_id) {
    switch (message.kind) {
        case MessageKind::kControl:
            return R"({"stream":"interaction.lifecycle","events":[]})";
        case MessageKind::kMalformed:
            // A truncated envelope: not well-formed JSON.
            return fmt::format(
                R"({{"stream":"interaction.lifecycle","subscriptionId":"{}","events":[{{"id":)",
                subscription_id);
        case MessageKind::kData:
            break;
    }
    std::string out;
    out.reserve(message.events.size() + 96);
    out += R"({"stream":"interaction.lifecycle","subscriptionId":")";
    out += subscription_id;
    out += R"(","events":)";
    out += message.events;
    out += '}';
    return out;
}

std::vector<std::string> queue_ids(std::uint64_t seed, std::uint32_t count) {
    return stable_ids(seed, 0x71756575ULL, count);
}

struct Generator::State {
    EmulatorOptions options;
    StreamFilter filter;
    std::vector<std::string> queues, users, wrapups;
    std::string division;
    Rng conv_rng;   // conversation structure and times
    Rng fault_rng;  // ids, faults, shuffling, duplicates
    Manifest counts;

    std::priority_queue<BaseEvent, std::vector<BaseEvent>, ByTime> pending;
    std::uint64_t created = 0;      // base events created
    std::uint64_t seq = 0;
    std::int64_t next_conv_ms = kBaseMs;
    std::int64_t frontier_ms = kBaseMs;  // time of the last base event pulled

    std::priority_queue<ReadyEvent, std::vector<ReadyEvent>, ByKey> window;
    std::deque<std::pair<std::uint64_t, std::string>> dups;  // (due emit index, json)
    std::uint64_t emitted = 0;  // event objects emitted so far (duplicates included)

    std::uint64_t data_messages = 0;
    bool control_due = false;
    std::optional<GeneratedMessage> held;  // data message held back behind a malformed one
    bool done = false;

    State(const EmulatorOptions& o, StreamFilter f)
        : options(o),
          filter(std::move(f)),
          queues(queue_ids(o.seed, o.queue_count)),
          users(stable_ids(o.seed, 0x75736572ULL, kUsers)),
          wrapups(stable_ids(o.seed, 0x77726170ULL, kWrapupCodes)),
          division(stable_ids(o.seed, 0x64697669ULL, 1).front()),
          conv_rng(o.seed),
          fault_rng(o.seed ^ 0x5eed5eed5eed5eedULL) {
        counts.generated = o.events;
        counts.queues = queues;
    }

    TsStyle pick_style() {
        const auto r = conv_rng.range(0, 99);
        if (r < 80) return TsStyle::kZ3;
        if (r < 88) return TsStyle::kPlus1h3;
        if (r < 92) return TsStyle::kZ1;
        if (r < 95) return TsStyle::kZ6;
        if (r < 98) return TsStyle::kMinus5h9;
        return TsStyle::kPlus1h1;
    }

    void create_conversation() {
        auto conv = std::make_shared<Conversation>();
        Rng& r = conv_rng;
        conv->conversation_id = r.uuid();
        for (std::size_t i = 0; i < 3; ++i) {
            conv->participant_ids[i] = r.uuid();
            conv->session_ids[i] = r.uuid();
        }
        const auto m = r.range(0, 99);
        conv->media = m < 70 ? 0 : m < 80 ? 1 : m < 90 ? 2 : m < 95 ? 3 : 4;
        conv->ani = fmt::format("tel:+1555{:07}", r.range(0, 9'999'999));
        conv->dnis = fmt::format("tel:+1800{:07}", r.range(0, 99));
        conv->queue = queues.empty() ? 0 : static_cast<std::size_t>(r.range(0, queues.size() - 1));
        conv->user = static_cast<std::size_t>(r.range(0, kUsers - 1));
        conv->wrapup = static_cast<std::size_t>(r.range(0, kWrapupCodes - 1));
        conv->abandoned = r.range(0, 9) == 0;
        conv->start_ms = next_conv_ms;
        conv->wait_ms = r.range(2'000, 180'000);
        conv->alert_ms = r.range(1'000, 15'000);
        conv->talk_ms = r.range(30'000, 600'000);
        conv->held_ms = r.range(0, 3) == 0 ? r.range(5'000, 60'000) : 0;
        conv->acw_ms = r.range(5'000, 120'000);
        conv->customer_disconnect = kCustomerDisconnects[static_cast<std::size_t>(r.range(0, 2))];
        conv->user_disconnect = kUserDisconnects[static_cast<std::size_t>(r.range(0, 2))];
        conv->routing_priority = static_cast<int>(r.range(0, 3)) * 10;

        // Event times: increasing, gaps of at least 300 ms so that rounding a 1-digit timestamp
        // down to 100 ms keeps the order.
        std::vector<std::pair<Kind, std::int64_t>> plan;
        std::int64_t t = conv->start_ms;
        plan.emplace_back(Kind::kCustomerStart, t);
        t += r.range(1'000, 30'000);
        plan.emplace_back(Kind::kAcdStart, t);
        t += conv->wait_ms;
        plan.emplace_back(Kind::kAcdEnd, t);
        if (!conv->abandoned) {
            t += r.range(300, 1'000);
            plan.emplace_back(Kind::kUserStart, t);
            t += conv->alert_ms + conv->talk_ms;
            plan.emplace_back(Kind::kUserEnd, t);
            t += r.range(300, 1'500);
            plan.emplace_back(Kind::kAcw, t);
            t += r.range(300, 2'000);
        } else {
            t += r.range(300, 1'000);
        }
        plan.emplace_back(Kind::kCustomerEnd, t);

        for (auto& [kind, when] : plan) {
            if (created >= options.events) {
                break;
            }
            BaseEvent e;
            e.style = pick_style();
            e.time_ms = (e.style == TsStyle::kZ1 || e.style == TsStyle::kPlus1h1)
                            ? when - when % 100
                            : when;
            e.kind = kind;
            e.seq = seq++;
            e.conv = conv;
            pending.push(std::move(e));
            ++created;
        }
        // Exponential inter-arrival, mean 1.5 s.
        next_conv_ms += 1 + static_cast<std::int64_t>(-std::log(1.0 - r.uniform()) * 1500.0);
    }

    // The next base event in event-time order, or nullopt when all were pulled.
    std::optional<BaseEvent> next_base() {
        while (created < options.events && (pending.empty() || next_conv_ms <= pending.top().time_ms)) {
            create_conversation();
        }
        if (pending.empty()) {
            return std::nullopt;
        }
        BaseEvent e = pending.top();
        pending.pop();
        return e;
    }

    std::string_view outcome(const BaseEvent& e) const {
        if (e.kind != Kind::kAcdEnd) {
            return {};
        }
        return e.conv->abandoned ? "ABANDON" : "ANSWERED";
    }

    std::string_view queue_of(const BaseEvent& e) const {
        if (e.kind == Kind::kCustomerStart || e.kind == Kind::kCustomerEnd || queues.empty()) {
            return {};
        }
        return queues[e.conv->queue];
    }

    std::string serialize(const BaseEvent& e, Fault fault) {
        const Conversation& c = *e.conv;
        const Media& media = kMedia[c.media];
        const std::size_t who = e.kind == Kind::kCustomerStart || e.kind == Kind::kCustomerEnd ? 0
                                : e.kind == Kind::kAcdStart || e.kind == Kind::kAcdEnd         ? 1
                                                                                                : 2;
        BadTs bad_ts = BadTs::kNone;
        bool time_as_string = false;
        bool drop_conversation = false;
        if (fault == Fault::kBadTimestamp) {
            bad_ts = fault_rng.range(0, 1) == 0 ? BadTs::kNoOffset : BadTs::kFeb30;
        } else if (fault == Fault::kSchema) {
            (fault_rng.range(0, 1) == 0 ? time_as_string : drop_conversation) = true;
        }
        std::string out;
        out.reserve(900);
        auto it = std::back_inserter(out);
        fmt::format_to(it, R"({{"id":"{}","timestamp":")", fault_rng.uuid());
        append_timestamp(out, e.time_ms, e.style, bad_ts);
        fmt::format_to(it, R"(","eventType":"{}","data":{{)", kEventTypes[static_cast<int>(e.kind)]);
        if (time_as_string) {
            fmt::format_to(it, R"("eventTime":"{}")", e.time_ms);
        } else {
            fmt::format_to(it, R"("eventTime":{})", e.time_ms);
        }
        if (!drop_conversation) {
            fmt::format_to(it, R"(,"conversationId":"{}")", c.conversation_id);
        }
        fmt::format_to(it,
                       R"(,"participantId":"{}","sessionId":"{}","mediaType":"{}","provider":"{}")"
                       R"(,"direction":"INBOUND","ani":"{}","dnis":"{}")",
                       c.participant_ids[who], c.session_ids[who], media.media_type, media.provider,
                       c.ani, c.dnis);
        if (fault == Fault::kDuplicateKey) {
            fmt::format_to(it, R"(,"provider":"{}")", media.provider);
        }
        if (!media.message_type.empty()) {
            fmt::format_to(it, R"(,"messageType":"{}")", media.message_type);
        }
        if (e.kind != Kind::kAcw) {
            fmt::format_to(it, R"(,"divisionId":"{}")", division);
        }
        const std::string_view queue = queues.empty() ? std::string_view{} : queues[c.queue];
        const std::string& user = users[c.user];
        switch (e.kind) {
            case Kind::kCustomerStart:
                fmt::format_to(it, R"(,"externalContactId":"{}")", c.participant_ids[0]);
                break;
            case Kind::kCustomerEnd: {
                const std::int64_t interacting =
                    c.abandoned ? 0 : c.alert_ms + c.talk_ms;
                fmt::format_to(it, R"(,"disconnectType":"{}","interactingDurationMs":{})",
                               c.customer_disconnect, interacting);
                break;
            }
            case Kind::kAcdStart:
                fmt::format_to(it,
                               R"(,"queueId":"{}","routingPriority":{},"requestedRoutingSkillIds":[])"
                               R"(,"skillExpressionApplied":false)",
                               queue, c.routing_priority);
                break;
            case Kind::kAcdEnd:
                if (c.abandoned) {
                    fmt::format_to(it,
                                   R"(,"queueId":"{}","disconnectType":"PEER","acdOutcome":"ABANDON")"
                                   R"(,"usedRouting":"STANDARD","routingPriority":{})"
                                   R"(,"connectedDurationMs":{})",
                                   queue, c.routing_priority, c.wait_ms);
                } else {
                    fmt::format_to(it,
                                   R"(,"queueId":"{}","disconnectType":"TRANSFER")"
                                   R"(,"acdOutcome":"ANSWERED","answeredUserId":"{}")"
                                   R"(,"usedRouting":"STANDARD","routingPriority":{})"
                                   R"(,"connectedDurationMs":{})",
                                   queue, user, c.routing_priority, c.wait_ms);
                }
                break;
            case Kind::kUserStart:
                fmt::format_to(it, R"(,"userId":"{}","queueId":"{}")", user, queue);
                break;
            case Kind::kUserEnd:
                fmt::format_to(it,
                               R"(,"userId":"{}","queueId":"{}","disconnectType":"{}")"
                               R"(,"interactingDurationMs":{},"heldDurationMs":{})"
                               R"(,"alertingDurationMs":{},"contactingDurationMs":0)"
                               R"(,"dialingDurationMs":0,"callbackDurationMs":0)",
                               user, queue, c.user_disconnect, c.talk_ms, c.held_ms, c.alert_ms);
                break;
            case Kind::kAcw:
                fmt::format_to(it,
                               R"(,"userId":"{}","queueId":"{}","wrapupCode":"{}")"
                               R"(,"wrapupNotes":"","wrapupDurationMs":{})",
                               user, queue, wrapups[c.wrapup], c.acw_ms);
                break;
        }
        out += "}}";
        return out;
    }

    // Pulls base events through the filter and the fault injection into the out-of-order window
    // until its smallest key can no longer be undercut by a future event.
    bool fill_window() {
        while (window.empty() || window.top().key > static_cast<double>(frontier_ms)) {
            std::optional<BaseEvent> base = next_base();
            if (!base) {
                return !window.empty();
            }
            frontier_ms = base->time_ms;
            if (!filter.passes(kEventTypes[static_cast<int>(base->kind)], queue_of(*base),
                               outcome(*base))) {
                ++counts.filtered_server_side;
                continue;
            }
            Fault fault = Fault::kNone;
            const double r = fault_rng.uniform();
            const double s = options.schema_invalid_rate;
            const double b = s + options.bad_timestamp_rate;
            const double k = b + options.duplicate_key_rate;
            if (r < s) {
                fault = Fault::kSchema;
                ++counts.schema;
            } else if (r < b) {
                fault = Fault::kBadTimestamp;
                ++counts.bad_timestamp;
            } else if (r < k) {
                fault = Fault::kDuplicateKey;
                ++counts.duplicate_key;
            } else {
                ++counts.delivered;
            }
            ReadyEvent ready;
            ready.seq = base->seq;
            ready.key = static_cast<double>(base->time_ms);
            if (options.max_out_of_order_ms > 0) {
                ready.key += fault_rng.uniform() * static_cast<double>(options.max_out_of_order_ms);
            }
            ready.duplicate = fault == Fault::kNone && fault_rng.chance(options.duplicate_rate);
            ready.json = serialize(*base, fault);
            window.push(std::move(ready));
        }
        return true;
    }

    // The next event object to send, or nullopt at the end.
    std::optional<std::string> next_event() {
        if (!dups.empty() && dups.front().first <= emitted) {
            std::string json = std::move(dups.front().second);
            dups.pop_front();
            ++emitted;
            ++counts.duplicates;
            return json;
        }
        if (!fill_window()) {
            if (dups.empty()) {
                return std::nullopt;
            }
            std::string json = std::move(dups.front().second);
            dups.pop_front();
            ++emitted;
            ++counts.duplicates;
            return json;
        }
        ReadyEvent ready = std::move(const_cast<ReadyEvent&>(window.top()));
        window.pop();
        ++emitted;
        if (ready.duplicate) {
            const auto span = std::max<std::int64_t>(2, 2 * options.events_per_message);
            const std::uint64_t due = emitted + static_cast<std::uint64_t>(fault_rng.range(1, span));
            // Keep the queue sorted by due index.
            auto pos = std::upper_bound(
                dups.begin(), dups.end(), due,
                [](std::uint64_t d, const auto& entry) { return d < entry.first; });
            dups.insert(pos, {due, ready.json});
        }
        return std::move(ready.json);
    }

    std::optional<GeneratedMessage> next_message() {
        if (held) {
            GeneratedMessage m = std::move(*held);
            held.reset();
            return m;
        }
        if (control_due) {
            control_due = false;
            ++counts.messages;
            ++counts.control_messages;
            return GeneratedMessage{MessageKind::kControl, {}};
        }
        if (done) {
            return std::nullopt;
        }
        std::string events = "[";
        std::uint32_t n = 0;
        const std::uint32_t per = std::max<std::uint32_t>(1, options.events_per_message);
        while (n < per) {
            std::optional<std::string> e = next_event();
            if (!e) {
                done = true;
                break;
            }
            if (n > 0) {
                events += ',';
            }
            events += *e;
            ++n;
        }
        events += ']';
        if (n == 0) {
            return std::nullopt;
        }
        counts.events += n;
        counts.valid = counts.events - counts.schema - counts.bad_timestamp - counts.duplicate_key;
        ++counts.messages;
        ++data_messages;
        control_due = data_messages % kControlEvery == 0;
        GeneratedMessage data{MessageKind::kData, std::move(events)};
        if (fault_rng.chance(options.malformed_rate)) {
            ++counts.messages;
            ++counts.not_json;
            held = std::move(data);
            return GeneratedMessage{MessageKind::kMalformed, {}};
        }
        return data;
    }
};

Generator::Generator(const EmulatorOptions& options, StreamFilter filter)
    : state_(std::make_unique<State>(options, std::move(filter))) {}
Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

std::optional<GeneratedMessage> Generator::next() { return state_->next_message(); }

const Manifest& Generator::counts() const { return state_->counts; }

Manifest Generator::dry_run(const EmulatorOptions& options, const StreamFilter& filter) {
    Generator g(options, filter);
    while (g.next()) {
    }
    return g.counts();
}

}  // namespace gstream::emulator
