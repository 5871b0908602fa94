#pragma once
// Test helper: compile a JSON Schema text that must compile.

#include <string_view>

#include "pipeline/schema/schema_validator.hpp"

namespace gstream::test {

/// The compiled schema; a failed gtest expectation (with the compiler's error) and the schema
/// `true` when it does not compile.
pipeline::CompiledSchema compile_ok(std::string_view schema);

}  // namespace gstream::test
