#include "core/event.hpp"

namespace gstream::core {

std::string_view to_string(InteractionState s) noexcept {
    switch (s) {
        case InteractionState::kNone: return "none";
        case InteractionState::kQueued: return "queued";
        case InteractionState::kAlerting: return "alerting";
        case InteractionState::kContact: return "contact";
        case InteractionState::kAcw: return "acw";
        case InteractionState::kEnded: return "ended";
    }
    return "none";
}

std::optional<InteractionState> parse_interaction_state(std::string_view s) noexcept {
    if (s == "queued") {
        return InteractionState::kQueued;
    }
    if (s == "alerting") {
        return InteractionState::kAlerting;
    }
    if (s == "contact") {
        return InteractionState::kContact;
    }
    if (s == "acw") {
        return InteractionState::kAcw;
    }
    if (s == "ended") {
        return InteractionState::kEnded;
    }
    return std::nullopt;
}

}  // namespace gstream::core
