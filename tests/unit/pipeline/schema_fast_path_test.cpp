// The validator's fast paths (children decided without a call: member-name table, per-type
// verdicts, int64 ranges, string byte lengths, arrays of simple items) must give the verdict and
// the error of the full check: members in any order, unknown and repeated members, names longer
// than 16 bytes, required names beyond 64, the depth limit, the registry's kind lookup.

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "pipeline/schema/schema_validator.hpp"
#include "tests/support/schema_compile.hpp"
#include "support/test_paths.hpp"

namespace gstream::pipeline {
namespace {

using test::compile_ok;

// "" when valid, else "<instance pointer> <keyword> <schema pointer>: <message>".
std::string verdict(const CompiledSchema& schema, std::string_view instance) {
    core::JsonDocument doc;
    EXPECT_TRUE(doc.parse(instance)) << instance;
    SchemaError error;
    const bool ok = schema.validate(doc.root(), &error);
    EXPECT_EQ(ok, schema.validate(doc.root())) << instance;
    return ok ? std::string()
              : error.instance_pointer + " " + error.keyword + " " + error.schema_pointer + ": " +
                    error.message;
}

constexpr std::string_view kEventSchema = R"({
    "type": "object",
    "required": ["conversationId", "eventTime"],
    "properties": {
        "eventTime": {"$ref": "#/definitions/epochMs"},
        "conversationId": {"type": "string"},
        "conversationExternalContactIds": {"$ref": "#/definitions/idArray"},
        "conversationExternalOrganizationIds": {"$ref": "#/definitions/idArray"},
        "timestamp": {"type": "string", "format": "date-time"},
        "code": {"type": "string", "minLength": 2, "maxLength": 3},
        "small": {"type": "integer", "minimum": -1, "exclusiveMaximum": 10},
        "ratio": {"type": "number", "maximum": 1.5}
    },
    "definitions": {
        "epochMs": {"type": "integer", "minimum": 0},
        "idArray": {"type": "array", "items": {"type": "string"}, "maxItems": 2}
    }
})";

TEST(SchemaFastPath, MemberOrderDoesNotMatter) {
    const CompiledSchema schema = compile_ok(kEventSchema);
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1, "conversationId": "c"})"), "");
    EXPECT_EQ(verdict(schema, R"({"conversationId": "c", "eventTime": 1})"), "");
    EXPECT_EQ(verdict(schema, R"({"small": 3, "conversationId": "c", "code": "ab",
                                  "eventTime": 1})"),
              "");
    // The first failing member in instance order is the one reported.
    EXPECT_EQ(verdict(schema, R"({"small": 10, "eventTime": -1, "conversationId": "c"})"),
              "/small exclusiveMaximum /properties/small/exclusiveMaximum: 10 is not less than 10");
    EXPECT_EQ(verdict(schema, R"({"eventTime": -1, "small": 10, "conversationId": "c"})"),
              "/eventTime minimum /definitions/epochMs/minimum: -1 is less than 0");
}

TEST(SchemaFastPath, UnknownRepeatedAndLongMemberNames) {
    const CompiledSchema schema = compile_ok(kEventSchema);
    // Unknown names (one shares a long prefix and the length of a known one) are allowed.
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1, "conversationId": "c",
                                  "conversationExternalContactIdz": 5,
                                  "conversationExternalContactIds": ["a"], "x": null})"),
              "");
    // A repeated member: each copy is checked, the invalid second one is reported.
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1, "conversationId": "c", "conversationId": 2})"),
              "/conversationId type /properties/conversationId/type: expected string, got integer");
    // A name longer than 16 bytes that differs only in its middle is not the known one.
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1, "conversationId": "c",
                                  "conversationExternalOrganizationIds": [1]})"),
              "/conversationExternalOrganizationIds/0 type /definitions/idArray/items/type: "
              "expected string, got integer");
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1, "conversationId": "c",
                                  "conversationExternalOrganizationXds": [1]})"),
              "");
    // An escaped name is the same name.
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1, "conversation\u0049d": 3})"),
              "/conversationId type /properties/conversationId/type: expected string, got integer");
    EXPECT_EQ(verdict(schema, R"({"eventTime": 1})"),
              " required /required: missing required member \"conversationId\"");
}

TEST(SchemaFastPath, ScalarVerdictsMatchTheFullCheck) {
    const CompiledSchema schema = compile_ok(kEventSchema);
    const std::string head = R"({"eventTime": 1, "conversationId": "c", )";
    EXPECT_EQ(verdict(schema, head + R"("eventTime": 2.0})"), "");  // an integral float
    EXPECT_EQ(verdict(schema, head + R"("eventTime": 2.5})"),
              "/eventTime type /definitions/epochMs/type: expected integer, got number");
    EXPECT_EQ(verdict(schema, head + R"("eventTime": 99999999999999999999})"), "");
    EXPECT_EQ(verdict(schema, head + R"("eventTime": -99999999999999999999})"),
              "/eventTime minimum /definitions/epochMs/minimum: -99999999999999999999 is less "
              "than 0");
    EXPECT_EQ(verdict(schema, head + R"("small": -1})"), "");
    EXPECT_EQ(verdict(schema, head + R"("small": 9})"), "");
    EXPECT_EQ(verdict(schema, head + R"("small": -2})"),
              "/small minimum /properties/small/minimum: -2 is less than -1");
    EXPECT_EQ(verdict(schema, head + R"("ratio": 1})"), "");
    EXPECT_EQ(verdict(schema, head + R"("ratio": 2})"),
              "/ratio maximum /properties/ratio/maximum: 2 is greater than 1.5");
    // Lengths count code points: "é" is two bytes but one character.
    EXPECT_EQ(verdict(schema, head + R"("code": "ab"})"), "");
    EXPECT_EQ(verdict(schema, head + "\"code\": \"\xC3\xA9\"}"),
              "/code minLength /properties/code/minLength: 1 characters, at least 2 required");
    EXPECT_EQ(verdict(schema, head + "\"code\": \"\xC3\xA9\xC3\xA9\xC3\xA9\"}"), "");
    EXPECT_EQ(verdict(schema, head + R"("code": "abcd"})"),
              "/code maxLength /properties/code/maxLength: 4 characters, at most 3 allowed");
    EXPECT_EQ(verdict(schema, head + R"("timestamp": "2024-05-06T08:00:00.001Z"})"), "");
    EXPECT_EQ(verdict(schema, head + R"("timestamp": "2023-02-29T08:00:00Z"})"),
              "/timestamp format /properties/timestamp/format: not an RFC 3339 date-time");
    EXPECT_EQ(verdict(schema, head + R"("conversationExternalContactIds": ["a", "b", "c"]})"),
              "/conversationExternalContactIds maxItems /definitions/idArray/maxItems: 3 items, "
              "at most 2 allowed");
    EXPECT_EQ(verdict(schema, head + R"("conversationExternalContactIds": []})"), "");
}

TEST(SchemaFastPath, AdditionalPropertiesFalseNamesTheMember) {
    const CompiledSchema schema = compile_ok(
        R"({"properties": {"a": {"type": "integer"}}, "additionalProperties": false})");
    EXPECT_EQ(verdict(schema, R"({"a": 1})"), "");
    EXPECT_EQ(verdict(schema, R"({"a": 1, "b": 2})"),
              "/b additionalProperties /additionalProperties: member \"b\" is not allowed");
    const CompiledSchema typed = compile_ok(R"({"additionalProperties": {"type": "string"}})");
    EXPECT_EQ(verdict(typed, R"({"a": "x", "b": "y"})"), "");
    EXPECT_EQ(verdict(typed, R"({"a": "x", "b": 2})"),
              "/b type /additionalProperties/type: expected string, got integer");
}

TEST(SchemaFastPath, MissingRequiredNameBeyond64) {
    std::string schema = R"({"properties": {"k3": {"type": "integer"}}, "required": [)";
    std::string all = "{";
    for (int i = 0; i < 70; ++i) {
        schema += (i == 0 ? "" : ",") + ("\"k" + std::to_string(i) + "\"");
        all += (i == 0 ? "" : ",") + ("\"k" + std::to_string(69 - i) + "\": " +
                                      std::to_string(i));  // reverse order
    }
    schema += "]}";
    const CompiledSchema compiled = compile_ok(schema);
    EXPECT_EQ(verdict(compiled, all + "}"), "");
    const auto without = [&](const std::string& name) {
        std::string text = all + "}";
        const std::size_t at = text.find("\"" + name + "\"");
        const std::size_t end = text.find_first_of(",}", at);
        text.erase(at, end - at + (text[end] == ',' ? 1 : 0));
        if (text[text.size() - 2] == ',') {
            text.erase(text.size() - 2, 1);
        }
        return text;
    };
    EXPECT_EQ(verdict(compiled, without("k67")),
              " required /required: missing required member \"k67\"");
    EXPECT_EQ(verdict(compiled, without("k3")),
              " required /required: missing required member \"k3\"");
}

TEST(SchemaFastPath, DepthLimitAppliesToFastChildren) {
    const CompiledSchema schema = compile_ok(R"({"properties": {"a": {"$ref": "#"}}})");
    const auto nested = [](unsigned objects) {
        std::string text;
        for (unsigned i = 0; i < objects; ++i) {
            text += "{\"a\":";
        }
        text += "1";
        return text + std::string(objects, '}');
    };
    // The leaf is a member of the object at depth objects - 1.
    EXPECT_EQ(verdict(schema, nested(kMaxValidationDepth)), "");
    const std::string deep = verdict(schema, nested(kMaxValidationDepth + 1));
    EXPECT_NE(deep.find(" depth "), std::string::npos) << deep;
    const CompiledSchema arrays = compile_ok(
        R"({"properties": {"a": {"$ref": "#"}, "b": {"items": {"type": "string"}}}})");
    const auto with_array = [](unsigned objects, std::string_view array) {
        std::string text;
        for (unsigned i = 0; i < objects; ++i) {
            text += "{\"a\":";
        }
        text += "{\"b\":" + std::string(array) + "}";
        return text + std::string(objects, '}');
    };
    for (unsigned objects = kMaxValidationDepth - 3; objects <= kMaxValidationDepth + 1;
         ++objects) {
        const std::string empty = verdict(arrays, with_array(objects, "[]"));
        const std::string one = verdict(arrays, with_array(objects, R"(["x"])"));
        // An element one level further down hits the limit one object earlier.
        EXPECT_EQ(empty.empty(), objects < kMaxValidationDepth) << objects << ": " << empty;
        EXPECT_EQ(one.empty(), objects + 1 < kMaxValidationDepth) << objects << ": " << one;
    }
}

TEST(SchemaFastPath, RegistryFindsKindsAndFallsBackToCommon) {
    const SchemaRegistry registry =
        SchemaRegistry::load(std::string(GSTREAM_SOURCE_DIR) + "/schemas/events");
    EXPECT_TRUE(registry.has_kind("acd.end"));
    EXPECT_TRUE(registry.has_kind("voicemail.start"));
    EXPECT_FALSE(registry.has_kind("acd.en"));
    EXPECT_FALSE(registry.has_kind(""));
    EXPECT_FALSE(registry.has_kind("envelope-event"));
    EXPECT_FALSE(registry.has_kind("detail-common"));
    EXPECT_NE(&registry.detail("acd.end"), &registry.detail_common());
    EXPECT_NE(&registry.detail("acd.end"), &registry.detail("acd.start"));
    EXPECT_EQ(&registry.detail("no.such.kind"), &registry.detail_common());
    EXPECT_EQ(&registry.detail("envelope-event"), &registry.detail_common());
    for (const std::string& kind : registry.kinds()) {
        EXPECT_TRUE(registry.has_kind(kind)) << kind;
    }
}

}  // namespace
}  // namespace gstream::pipeline
