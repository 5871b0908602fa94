#include "support/envelope_stream.hpp"

#include <fmt/format.h>

#include "dlq/dead_letter_queue.hpp"
#include "support/child_process.hpp"

namespace gstream::testing {

std::string envelope_event(const std::string& id, std::int64_t ms) {
    return fmt::format(
        R"({{"id":"{}","timestamp":"2026-11-30T{:02}:{:02}:{:02}.{:03}Z","eventType":"acd.start",)"
        R"("data":{{"conversationId":"c{}","eventTime":1764496800000,"queueId":"q1"}}}})",
        id, 10 + ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60, ms % 1000, id);
}

std::string numbered_event_id(int e) {
    return fmt::format("e{:06}", e);
}

KillStream make_kill_stream(int events, int per_message) {
    KillStream s;
    int e = 0;
    int data_messages = 0;
    std::string previous_first;
    for (int i = 0; e < events; ++i) {
        if (i % 97 == 96) {
            const std::string bad = fmt::format("not json {}", i);
            s.bad.insert(bad);
            s.replay += bad + "\n";
            ++s.messages;
            continue;
        }
        std::vector<std::string> batch;
        for (int k = 0; k < per_message && e < events; ++k, ++e) {
            batch.push_back(envelope_event(numbered_event_id(e), e));
        }
        const std::string first = batch.front();
        if (data_messages % 7 == 6) {
            batch.push_back(previous_first);
        }
        previous_first = first;
        ++data_messages;
        s.replay += envelope_message(batch) + "\n";
        ++s.messages;
    }
    return s;
}

std::string envelope_message(const std::vector<std::string>& events,
                             const std::string& extra_members) {
    std::string s = R"({"stream":"interaction.lifecycle","subscriptionId":"s1",)";
    if (!extra_members.empty()) {
        s += extra_members + ",";
    }
    s += R"("events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        s += (i ? "," : "") + events[i];
    }
    return s + "]}";
}

std::map<std::string, int> sink_event_ids(const std::string& path) {
    std::map<std::string, int> ids;
    for (const std::string& line : read_lines(path)) {
        const auto start = line.find("\"id\":\"") + 6;
        ids[line.substr(start, line.find('"', start) - start)]++;
    }
    return ids;
}

std::map<std::string, int> dead_letters(const std::string& path,
                                        std::map<std::string, int>* reasons) {
    std::map<std::string, int> raw;
    auto queue = dlq::DeadLetterQueue::open(path);
    dlq::ListFilter all;
    all.limit = 0;
    for (const auto& d : queue.list(all)) {
        raw[d.raw]++;
        if (reasons != nullptr) {
            (*reasons)[d.reason]++;
        }
    }
    return raw;
}

}  // namespace gstream::testing
