#include "pipeline/deduplicator.hpp"

namespace gstream::pipeline {

Deduplicator::Deduplicator(std::uint64_t window_events, std::int64_t window_ms)
    : window_events_(window_events)
    , window_ms_(window_ms) {}

void Deduplicator::expire(std::int64_t now_ms) {
    while (!order_.empty() &&
           (order_.size() > window_events_ || order_.front().first + window_ms_ <= now_ms)) {
        ids_.erase(order_.front().second);
        order_.pop_front();
    }
}

bool Deduplicator::seen(std::string_view id, std::int64_t now_ms) {
    expire(now_ms);
    if (ids_.contains(id)) {
        return true;
    }
    if (window_events_ == 0) {
        return false;
    }
    order_.emplace_back(now_ms, std::string(id));
    ids_.insert(order_.back().second);  // a view of the deque's string: stable until popped
    expire(now_ms);
    return false;
}

void Deduplicator::remember(std::string_view id, std::int64_t seen_ms) {
    if (window_events_ == 0) {
        return;
    }
    if (!ids_.contains(id)) {
        order_.emplace_back(seen_ms, std::string(id));
        ids_.insert(order_.back().second);
    }
    while (order_.size() > window_events_) {
        ids_.erase(order_.front().second);
        order_.pop_front();
    }
}

}  // namespace gstream::pipeline
