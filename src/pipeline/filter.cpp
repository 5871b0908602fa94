#include "pipeline/filter.hpp"

#include <algorithm>

namespace gstream::pipeline {

Filter::Filter(std::vector<std::string> queues, std::vector<core::InteractionState> states,
               std::vector<FieldFilter> fields)
    : queues_(queues.begin(), queues.end())
    , fields_(std::move(fields)) {
    for (const auto s : states) {
        state_mask_ |= 1U << static_cast<unsigned>(s);
    }
}

FilterKind Filter::check(const core::Event& event) const {
    if (!queues_.empty() && event.queue_id.valid()) {
        if (!event.queue_id.is_string() ||
            !queues_.contains(event.queue_id.get_string())) {
            return FilterKind::kQueue;
        }
    }
    if (state_mask_ != 0 && (state_mask_ & (1U << static_cast<unsigned>(event.state))) == 0) {
        return FilterKind::kState;
    }
    for (const FieldFilter& f : fields_) {
        const core::JsonValue v = event.value.at_pointer(f.pointer);
        bool member = false;
        if (v.valid()) {
            const std::string_view text = v.is_string() ? v.get_string() : v.raw();
            member = std::find(f.values.begin(), f.values.end(), text) != f.values.end();
        }
        if (member == f.negate) {
            return FilterKind::kField;
        }
    }
    return FilterKind::kNone;
}

}  // namespace gstream::pipeline
