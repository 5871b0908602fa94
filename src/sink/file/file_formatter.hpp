#pragma once
// JSON Lines formatter of the file sink. Pure.
//
// One event per line, members in this order: id, eventType, eventTime (the instant in UTC with `Z`
// and 3, 6 or 9 fraction digits as the input had), queueId and conversationId when present, late
// when late, data. String values and `data` are the original bytes, every escape intact; only
// whitespace between tokens is dropped, and only where the original has a line break, so a line
// never contains a raw newline.

#include <string>
#include <string_view>

#include "core/event.hpp"

namespace gstream::sink::file {

/// Appends the event's line, '\n' included, to `out`.
void format_event(const core::Event& event, std::string& out);

/// Appends `text` as a JSON string (quotes, backslashes and control characters escaped).
void append_json_string(std::string_view text, std::string& out);

/// Appends `json` without whitespace outside strings (the bytes of tokens are unchanged).
void append_minified(std::string_view json, std::string& out);

}  // namespace gstream::sink::file
