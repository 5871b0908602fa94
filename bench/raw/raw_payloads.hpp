// The payloads the raw producers send: the daemon's own native lines (a file-sink run of the
// same corpus), read into memory before the clock starts.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace gstream::bench {

/// Every non-empty line of `path`, without its '\n'. Empty when the file cannot be read.
inline std::vector<std::string> read_lines(const char* path) {
    std::vector<std::string> lines;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            lines.push_back(std::move(line));
        }
    }
    return lines;
}

/// The string value of top-level-looking `"field":"..."` in a native line (first occurrence;
/// native lines put id, eventType, queueId and conversationId before `data`). Empty if absent.
inline std::string_view field_of(std::string_view line, std::string_view field) {
    const std::string key = "\"" + std::string(field) + "\":\"";
    const auto at = line.find(key);
    if (at == std::string_view::npos) {
        return {};
    }
    const auto start = at + key.size();
    const auto end = line.find('"', start);
    return end == std::string_view::npos ? std::string_view{} : line.substr(start, end - start);
}

/// One result line the bench script reads: `raw: events=N seconds=S events_per_s=X`.
inline void print_rate(std::size_t events, double seconds) {
    std::printf("raw: events=%zu seconds=%.3f events_per_s=%.0f\n", events, seconds,
                seconds > 0 ? static_cast<double>(events) / seconds : 0.0);
}

}  // namespace gstream::bench
