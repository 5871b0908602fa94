#include "source/notifications/topic_plan.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

namespace gstream::source::notifications {
namespace {

constexpr std::string_view kMedia[] = {"calls",        "callbacks",         "chats",
                                       "emails",       "messages",          "cobrowseSessions",
                                       "screenshares", "socialexpressions", "videos"};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool is_known_media(std::string_view media) {
    return std::find(std::begin(kMedia), std::end(kMedia), media) != std::end(kMedia);
}

std::vector<std::string> build_topics(const std::vector<std::string>& queues,
                                      const std::vector<std::string>& media,
                                      const std::vector<std::string>& extra) {
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    auto add = [&](std::string topic) {
        if (seen.insert(topic).second)
            out.push_back(std::move(topic));
    };
    for (const auto& queue : queues) {
        const std::string base = "v2.routing.queues." + queue + ".conversations";
        if (media.empty()) {
            add(base);
        } else {
            for (const auto& m : media)
                add(base + "." + m);
        }
    }
    for (const auto& topic : extra)
        add(topic);
    return out;
}

std::vector<std::vector<std::string>> pack_topics(const std::vector<std::string>& topics,
                                                  std::size_t per_channel,
                                                  std::size_t max_channels) {
    per_channel = std::max<std::size_t>(1, per_channel);
    if (topics.empty()) {
        throw std::invalid_argument(
            "source.protocol 'notifications' has no topic to subscribe: set source.queues "
            "and/or source.notifications.topics");
    }
    const std::size_t needed = (topics.size() + per_channel - 1) / per_channel;
    if (needed > max_channels) {
        throw std::invalid_argument(
            std::to_string(topics.size()) + " notification topics need " + std::to_string(needed) +
            " channels of at most " + std::to_string(per_channel) + " topics, over the limit of " +
            std::to_string(max_channels) +
            " (20 channels per OAuth client, one kept free for rollover; API-NOTES.md §3.3): "
            "subscribe fewer queues, media or topics (source.queues, "
            "source.notifications.media, source.notifications.topics) or split them across "
            "daemons with different OAuth clients");
    }
    std::vector<std::vector<std::string>> groups;
    for (std::size_t i = 0; i < topics.size(); i += per_channel) {
        const std::size_t end = std::min(topics.size(), i + per_channel);
        groups.emplace_back(topics.begin() + static_cast<std::ptrdiff_t>(i),
                            topics.begin() + static_cast<std::ptrdiff_t>(end));
    }
    return groups;
}

std::vector<std::string> detail_topics_for(std::string_view conversation_id) {
    static constexpr std::string_view kSuffixes[] = {
        "customer.start", "customer.end",    "acd.start",     "acd.end",
        "user.start",     "user.end",        "acw",           "wrapup",
        "attributes",     "outbound",        "flow.start",    "flow.end",
        "flow.outcome",   "voicemail.start", "voicemail.end", "contact"};
    static_assert(std::size(kSuffixes) == kDetailTopicsPerConversation);
    std::vector<std::string> out;
    out.reserve(std::size(kSuffixes));
    const std::string base = "v2.detail.events.conversation." + std::string(conversation_id) + ".";
    for (const auto suffix : kSuffixes)
        out.push_back(base + std::string(suffix));
    return out;
}

std::string_view peek_topic_name(std::string_view payload) {
    // Only a top-level member counts: track the nesting depth and skip strings.
    int depth = 0;
    for (std::size_t i = 0; i < payload.size(); ++i) {
        const char c = payload[i];
        if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == '"') {
            const std::size_t start = i + 1;
            std::size_t j = start;
            while (j < payload.size() && payload[j] != '"')
                j += payload[j] == '\\' ? 2 : 1;
            if (j >= payload.size())
                return {};
            const std::string_view key = payload.substr(start, j - start);
            i = j;
            if (depth != 1 || key != "topicName")
                continue;
            std::size_t k = j + 1;
            while (k < payload.size() && is_space(payload[k]))
                ++k;
            if (k >= payload.size() || payload[k] != ':')
                continue;  // a value, not a key
            ++k;
            while (k < payload.size() && is_space(payload[k]))
                ++k;
            if (k >= payload.size() || payload[k] != '"')
                return {};
            const std::size_t vstart = k + 1;
            std::size_t v = vstart;
            while (v < payload.size() && payload[v] != '"')
                v += payload[v] == '\\' ? 2 : 1;
            if (v >= payload.size())
                return {};
            return payload.substr(vstart, v - vstart);
        }
    }
    return {};
}

}  // namespace gstream::source::notifications
