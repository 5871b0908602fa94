#include "pipeline/batcher.hpp"

namespace gstream::pipeline {

Batcher::Batcher(BatchLimits limits)
    : limits_(limits) {
    events_.reserve(limits_.max_events);
}

void Batcher::add(core::Event&& event, std::int64_t now_ms) {
    if (events_.empty()) {
        opened_ms_ = now_ms;
    }
    bytes_ += event.raw().size();
    events_.push_back(std::move(event));
}

bool Batcher::full() const noexcept {
    return events_.size() >= limits_.max_events || bytes_ >= limits_.max_bytes;
}

bool Batcher::expired(std::int64_t now_ms) const noexcept {
    return !events_.empty() && now_ms >= opened_ms_ + limits_.max_age_ms;
}

std::optional<std::int64_t> Batcher::deadline_ms() const noexcept {
    if (events_.empty()) {
        return std::nullopt;
    }
    return opened_ms_ + limits_.max_age_ms;
}

std::vector<core::Event> Batcher::take() {
    std::vector<core::Event> out;
    out.reserve(limits_.max_events);
    out.swap(events_);
    bytes_ = 0;
    return out;
}

}  // namespace gstream::pipeline
