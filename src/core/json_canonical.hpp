#pragma once
// Canonical JSON text of a parsed value: the same text for two JSON-equal values however they
// were written (member order, whitespace, escapes, number spelling). Used to key events by their
// content (pipeline::detail_event_id, docs/lifecycle.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_document.hpp"

namespace gstream::core {

/// Working space of append_canonical_json: the members of the objects being written, with the
/// first 8 bytes of each name (big-endian, zero-padded) to sort them by quickly.
struct CanonicalMember {
    std::uint64_t prefix;
    std::string_view name;
    JsonValue value;
};
using CanonicalScratch = std::vector<CanonicalMember>;

/// Appends the canonical text of `value` to `out`:
/// - no whitespace; object members sorted by name (bytewise on the unescaped UTF-8; members with
///   the same name keep their order); array elements in order;
/// - strings as their unescaped UTF-8 with only `"` `\` and control characters escaped (`\b`
///   `\f` `\n` `\r` `\t`, others `\u00xx` in lower case), so `"\u00e9"`, `"é"` and `"\/"`, `"/"`
///   are equal;
/// - int64 integers in decimal, integers beyond int64 as their digits, other numbers as the
///   shortest text that reads back as the same double (std::to_chars), so `1.0`, `1E0` and `1`
///   are equal; zero is `0` whatever its sign;
/// - `true`, `false`, `null`; an invalid value as `null`.
/// `scratch` is working space (its capacity is reused). Recursive: the caller bounds the depth
/// (the decoders refuse events nested more than 64 levels).
void append_canonical_json(const JsonValue& value, std::string& out, CanonicalScratch& scratch);

/// Appends `text` (UTF-8) as a canonical JSON string, escaped as above.
void append_canonical_string(std::string_view text, std::string& out);

}  // namespace gstream::core
