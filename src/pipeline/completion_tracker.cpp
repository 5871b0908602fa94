#include "pipeline/completion_tracker.hpp"

#include <algorithm>

namespace gstream::pipeline {

void CompletionTracker::on_message(std::uint64_t sequence) {
    if (sequence + 1 > next_) {
        next_ = sequence + 1;
    }
}

void CompletionTracker::on_held(const core::Event& event) {
    const std::uint64_t seq = event.message ? event.message->sequence : 0;
    ++held_[seq];
    ++held_ids_[std::string(event.id.get_string())];
    ++held_ids_total_;
}

void CompletionTracker::on_done(const core::Event& event) {
    const std::uint64_t seq = event.message ? event.message->sequence : 0;
    if (const auto it = held_.find(seq); it != held_.end() && --it->second == 0) {
        held_.erase(it);
    }
    if (const auto it = held_ids_.find(std::string(event.id.get_string())); it != held_ids_.end()) {
        --held_ids_total_;
        if (--it->second == 0) {
            held_ids_.erase(it);
        }
    }
}

std::uint64_t CompletionTracker::next_incomplete() const noexcept {
    return held_.empty() ? next_ : std::min(held_.begin()->first, next_);
}

bool CompletionTracker::held(std::string_view id) const {
    return held_ids_.contains(std::string(id));
}

}  // namespace gstream::pipeline
