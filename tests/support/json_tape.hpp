#pragma once
// Test helper: a JsonDocument's tape as text, to compare two parses node by node.

#include <string>
#include <vector>

#include "core/json_document.hpp"

namespace gstream::test {

/// One line per node: type, byte range, next, flags (without kJsonFlagInText, which tells where
/// a string lives), counts and heights, unescaped strings, numbers' bits.
std::vector<std::string> dump_tape(const core::JsonDocument& d);

}  // namespace gstream::test
