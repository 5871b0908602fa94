#pragma once
// What a pipeline stage hands to the dead-letter queue.

#include <optional>
#include <string>
#include <string_view>

#include "core/errc.hpp"

namespace gstream::pipeline {

/// A failed event or message, with its reason (docs/reason-codes.md).
struct Rejection {
    core::Errc reason = core::Errc::kSchema;
    std::string_view stage;  ///< "decode", "validate", "order", "sink"
    std::string detail;      ///< e.g. "/data/eventTime: type", the parse error and its offset
    std::string raw;         ///< the event's own bytes, or the whole message
    std::optional<std::string> subscription_id;
};

}  // namespace gstream::pipeline
