#pragma once
// Filter: routing queue, interaction state and any field by JSON pointer. Pure.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/event.hpp"

namespace gstream::pipeline {

/// One `pipeline.filters` entry: the value at `pointer` (RFC 6901, from the event object, e.g.
/// "/data/mediaType") must be (`negate` false: `in`) or must not be (`negate` true: `not_in`) one of
/// `values`. Strings compare by their unescaped text, other scalars by their JSON text. A missing
/// pointer does not match `in` (filtered) and passes `not_in`.
struct FieldFilter {
    std::string pointer;
    std::vector<std::string> values;
    bool negate = false;
};

/// Which rule dropped an event (a metric label).
enum class FilterKind : std::uint8_t { kNone, kQueue, kState, kField };

class Filter {
public:
    /// `queues`: allowed data.queueId values (empty = all); an event without queueId passes.
    /// `states`: allowed interaction states (empty = all); an event with no state passes only
    /// when this is empty (SEED-PROTOCOL.md §3).
    Filter(std::vector<std::string> queues, std::vector<core::InteractionState> states,
           std::vector<FieldFilter> fields);

    /// kNone when the event passes, otherwise the first rule that drops it.
    FilterKind check(const core::Event& event) const;

private:
    struct Hash {  // heterogeneous lookup: an event's queueId view needs no std::string
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    std::unordered_set<std::string, Hash, std::equal_to<>> queues_;
    std::uint32_t state_mask_ = 0;
    std::vector<FieldFilter> fields_;
};

}  // namespace gstream::pipeline
