#include "pipeline/orderer.hpp"

#include <algorithm>

namespace gstream::pipeline {

Orderer::Orderer(std::int64_t allowed_lateness_ms)
    : lateness_ms_(allowed_lateness_ms)
    , lateness_ns_(allowed_lateness_ms * 1'000'000) {}

void Orderer::push(core::Event&& event, std::int64_t now_ms, std::vector<core::Event>& out) {
    if (event.instant.ns < watermark_ns_) {
        event.late = true;
        out.push_back(std::move(event));
        release(now_ms, out);
        return;
    }
    max_seen_ns_ = std::max(max_seen_ns_, event.instant.ns);
    watermark_ns_ = std::max(watermark_ns_, max_seen_ns_ - lateness_ns_);
    arrivals_.push_back({now_ms, event.instant.ns});
    std::uint32_t slot = 0;
    if (free_.empty()) {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back(std::move(event));
    } else {
        slot = free_.back();
        free_.pop_back();
        slots_[slot] = std::move(event);
    }
    const core::Event& held = slots_[slot];
    heap_.push_back({held.instant.ns, held.sequence, slot});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
    release(now_ms, out);
}

void Orderer::release(std::int64_t now_ms, std::vector<core::Event>& out) {
    std::int64_t bound = watermark_ns_;
    while (!arrivals_.empty() && arrivals_.front().at_ms + lateness_ms_ <= now_ms) {
        bound = std::max(bound, arrivals_.front().instant_ns);
        arrivals_.pop_front();
    }
    watermark_ns_ = bound;
    release_up_to(bound, out);
    if (heap_.empty()) {
        arrivals_.clear();
    }
}

void Orderer::release_up_to(std::int64_t bound_ns, std::vector<core::Event>& out) {
    while (!heap_.empty() && heap_.front().instant_ns <= bound_ns) {
        std::pop_heap(heap_.begin(), heap_.end(), Later{});
        const std::uint32_t slot = heap_.back().slot;
        heap_.pop_back();
        out.push_back(std::move(slots_[slot]));  // leaves the slot's message pointer empty
        free_.push_back(slot);
    }
}

void Orderer::flush(std::vector<core::Event>& out) {
    if (!heap_.empty()) {
        std::int64_t highest = INT64_MIN;
        while (!heap_.empty()) {
            highest = heap_.front().instant_ns;
            release_up_to(highest, out);
        }
        watermark_ns_ = std::max(watermark_ns_, highest);
    }
    arrivals_.clear();
}

std::optional<std::int64_t> Orderer::next_deadline_ms() const {
    if (heap_.empty() || arrivals_.empty()) {
        return std::nullopt;
    }
    return arrivals_.front().at_ms + lateness_ms_;
}

}  // namespace gstream::pipeline
