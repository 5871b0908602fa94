#include "tests/support/schema_compile.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gstream::test {

pipeline::CompiledSchema compile_ok(std::string_view schema) {
    std::string error;
    auto compiled = pipeline::CompiledSchema::compile_text(schema, &error);
    EXPECT_TRUE(compiled) << schema << ": " << error;
    if (!compiled) {
        return std::move(*pipeline::CompiledSchema::compile_text("true", nullptr));
    }
    return std::move(*compiled);
}

}  // namespace gstream::test
