// The official JSON-Schema-Test-Suite (draft7) for every keyword the validator supports.
// A test group is skipped only when compile() reports an unsupported keyword, $ref or $id; the
// skipped cases are counted and printed with the reason.

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "pipeline/schema/schema_validator.hpp"
#include "support/test_paths.hpp"

namespace gstream::pipeline {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

class SchemaTestSuite : public ::testing::TestWithParam<const char*> {};

TEST_P(SchemaTestSuite, EveryCasePasses) {
    const std::string path = std::string(GSTREAM_TEST_SUITE_DIR) + "/" + GetParam() + ".json";
    const std::string text = read_file(path);
    if (text.empty()) {
        GTEST_SKIP() << "JSON-Schema-Test-Suite not installed: " << path;
    }
    core::JsonDocument doc;
    ASSERT_TRUE(doc.parse(text)) << path << ": " << doc.error().message;
    int cases = 0;
    int skipped = 0;
    doc.root().for_each_element([&](const core::JsonValue& group) {
        const std::string group_name(group.find("description").get_string());
        std::string error;
        auto schema = CompiledSchema::compile(group.find("schema"), &error);
        const std::size_t group_cases = group.find("tests").size();
        if (!schema) {
            const bool unsupported = error.find("unsupported") != std::string::npos;
            EXPECT_TRUE(unsupported) << GetParam() << " / " << group_name
                                     << ": compile failed: " << error;
            if (unsupported) {
                skipped += static_cast<int>(group_cases);
                std::cout << "[ SKIPPED  ] " << GetParam() << " / " << group_name << ": "
                          << group_cases << " case(s): " << error << "\n";
            }
            return;
        }
        group.find("tests").for_each_element([&](const core::JsonValue& test) {
            ++cases;
            const bool expected = test.find("valid").get_bool();
            SchemaError err;
            const bool actual = schema->validate(test.find("data"), &err);
            EXPECT_EQ(actual, expected)
                << GetParam() << " / " << group_name << " / "
                << test.find("description").get_string() << "\n  data: " << test.find("data").raw()
                << "\n  error: " << err.keyword << " at " << err.instance_pointer << ": "
                << err.message;
        });
    });
    std::cout << "[ SUITE    ] " << GetParam() << ": " << cases << " case(s) run, " << skipped
              << " skipped\n";
    EXPECT_GT(cases + skipped, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Draft7, SchemaTestSuite,
    ::testing::Values("type", "enum", "const", "required", "properties", "additionalProperties",
                      "items", "minItems", "maxItems", "minimum", "maximum", "exclusiveMinimum",
                      "exclusiveMaximum", "minLength", "maxLength", "pattern", "allOf", "anyOf",
                      "oneOf", "not", "ref", "definitions", "boolean_schema", "default",
                      "additionalItems", "patternProperties", "optional/format/date-time"),
    [](const ::testing::TestParamInfo<const char*>& param_info) {
        std::string name = param_info.param;
        for (char& c : name) {
            if (c == '/' || c == '-') {
                c = '_';
            }
        }
        return name;
    });

}  // namespace
}  // namespace gstream::pipeline
