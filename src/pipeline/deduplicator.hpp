#pragma once
// De-duplication by event id within a window of the last N ids and T milliseconds. Pure: the
// caller passes `now`.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>

namespace gstream::pipeline {

class Deduplicator {
public:
    /// `window_events` ids at most are remembered, each for `window_ms` of processing time.
    Deduplicator(std::uint64_t window_events, std::int64_t window_ms);

    /// True when `id` was seen within the window (a duplicate); otherwise remembers it.
    /// `now_ms`: a monotonic clock in milliseconds.
    bool seen(std::string_view id, std::int64_t now_ms);

    std::size_t size() const noexcept { return order_.size(); }

    /// Visits every remembered id with the time it was seen (`now_ms` clock), oldest first
    /// (persisted with write-ahead log checkpoints, docs/recovery.md).
    template <class F>
    void for_each(F&& visit) const {
        for (const auto& [at_ms, id] : order_) {
            visit(std::string_view(id), at_ms);
        }
    }
    /// Remembers `id` as seen at `seen_ms` (restoring a persisted window; call oldest first).
    void remember(std::string_view id, std::int64_t seen_ms);

private:
    void expire(std::int64_t now_ms);

    std::uint64_t window_events_;
    std::int64_t window_ms_;
    // (time seen, id), oldest first. A deque never moves its elements on push_back/pop_front,
    // so ids_ holds views of these strings: one copy of each id.
    std::deque<std::pair<std::int64_t, std::string>> order_;
    std::unordered_set<std::string_view> ids_;
};

}  // namespace gstream::pipeline
