// Unit tests of the compiled draft-07 validator: hostile instances, hostile schemas, error
// reports. The official suite runs in schema_test_suite_test.cpp.

#include <chrono>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "pipeline/schema/schema_validator.hpp"
#include "tests/support/schema_compile.hpp"

namespace gstream::pipeline {
namespace {

using test::compile_ok;

std::string compile_error(std::string_view schema) {
    std::string error;
    auto compiled = CompiledSchema::compile_text(schema, &error);
    EXPECT_FALSE(compiled) << schema << " compiled";
    if (!compiled) {
        EXPECT_EQ(compiled.error(), core::make_error_code(core::Errc::kConfig));
    }
    return error;
}

// Validates `instance` (JSON text) against `schema`.
bool valid(const CompiledSchema& schema, std::string_view instance, SchemaError* error = nullptr) {
    core::JsonDocument doc;
    EXPECT_TRUE(doc.parse(instance)) << instance;
    return schema.validate(doc.root(), error);
}

TEST(SchemaValidator, FormatAppliesOnlyToStrings) {
    const CompiledSchema schema = compile_ok(R"({"format": "date-time"})");
    EXPECT_TRUE(valid(schema, "{}"));
    EXPECT_TRUE(valid(schema, R"({"a": [1, 2]})"));
    EXPECT_TRUE(valid(schema, "[]"));
    EXPECT_TRUE(valid(schema, "[\"not a date\"]"));
    EXPECT_TRUE(valid(schema, "12"));
    EXPECT_TRUE(valid(schema, "null"));
    EXPECT_TRUE(valid(schema, R"("2026-11-30T10:15:02.125Z")"));
    EXPECT_FALSE(valid(schema, R"("yesterday")"));
}

TEST(SchemaValidator, OtherFormatsAreAnnotations) {
    const CompiledSchema schema = compile_ok(R"({"format": "email"})");
    EXPECT_TRUE(valid(schema, R"("not an email")"));
}

TEST(SchemaValidator, DateTimeRejectsImpossibleDates) {
    const CompiledSchema schema = compile_ok(R"({"type": "string", "format": "date-time"})");
    SchemaError error;
    EXPECT_FALSE(valid(schema, R"("2026-02-30T10:00:00Z")", &error));
    EXPECT_EQ(error.keyword, "format");
    EXPECT_EQ(error.schema_pointer, "/format");
    EXPECT_FALSE(valid(schema, R"("2025-02-29T10:00:00Z")"));  // not a leap year
    EXPECT_TRUE(valid(schema, R"("2024-02-29T10:00:00Z")"));
    EXPECT_FALSE(valid(schema, R"("2100-02-29T10:00:00Z")"));
    EXPECT_TRUE(valid(schema, R"("2000-02-29T10:00:00Z")"));
    EXPECT_FALSE(valid(schema, R"("2026-04-31T10:00:00Z")"));
    EXPECT_FALSE(valid(schema, R"("2026-13-01T10:00:00Z")"));
    EXPECT_FALSE(valid(schema, R"("2026-11-30T24:00:00Z")"));
    EXPECT_FALSE(valid(schema, R"("2026-11-30T10:15:02")"));       // no offset
    EXPECT_FALSE(valid(schema, R"("2026-11-30T10:15:02.Z")"));     // empty fraction
    EXPECT_FALSE(valid(schema, R"("2026-11-30 10:15:02Z")"));      // space separator
    EXPECT_FALSE(valid(schema, R"("2026-11-30T10:15:02+24:00")"));
    EXPECT_FALSE(valid(schema, R"("2026-11-30T10:15:02+01:00x")"));
    EXPECT_FALSE(valid(schema, R"("2016-12-31T23:59:60Z")"));      // leap second, as core
    EXPECT_TRUE(valid(schema, R"("2026-11-30T11:15:02.1+01:00")"));
    EXPECT_TRUE(valid(schema, R"("2026-11-30t10:15:02.123456789123z")"));
    EXPECT_TRUE(valid(schema, R"("1963-06-19T08:30:06Z")"));  // before 1970: the decoder's check
    EXPECT_FALSE(valid(schema, R"("")"));
}

TEST(SchemaValidator, LengthCountsCodePointsIncludingNul) {
    const CompiledSchema max3 = compile_ok(R"({"maxLength": 3})");
    EXPECT_TRUE(valid(max3, R"("a\u0000b")"));
    EXPECT_FALSE(valid(max3, R"("a\u0000bc")"));
    EXPECT_FALSE(valid(max3, R"("\u0000\u0000\u0000\u0000")"));
    EXPECT_TRUE(valid(max3, "\"h\xC3\xA9\xC3\xA9\""));                             // 5 bytes
    EXPECT_TRUE(valid(max3, "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80\""));  // 12 bytes
    EXPECT_TRUE(valid(max3, R"("\ud83d\ude00\ud83d\ude00\ud83d\ude00")"));
    EXPECT_FALSE(valid(max3, R"("\ud83d\ude00\ud83d\ude00\ud83d\ude00\ud83d\ude00")"));
    const CompiledSchema min2 = compile_ok(R"({"minLength": 2})");
    EXPECT_TRUE(valid(min2, R"("\u0000\u0000")"));
    SchemaError error;
    EXPECT_FALSE(valid(min2, R"("\u0000")", &error));
    EXPECT_EQ(error.keyword, "minLength");
    EXPECT_FALSE(valid(min2, "\"\xF0\x9F\x98\x80\""));  // one code point in four bytes
}

TEST(SchemaValidator, IntegersBeyondInt64) {
    const CompiledSchema integer = compile_ok(R"({"type": "integer"})");
    EXPECT_TRUE(valid(integer, "9223372036854775808"));
    EXPECT_TRUE(valid(integer, "-9223372036854775809"));
    EXPECT_TRUE(valid(integer, "123456789012345678901234567890"));
    EXPECT_TRUE(valid(integer, "1.0"));
    EXPECT_TRUE(valid(integer, "1e2"));
    EXPECT_FALSE(valid(integer, "1.5"));

    const CompiledSchema max = compile_ok(R"({"maximum": 9223372036854775807})");
    EXPECT_TRUE(valid(max, "9223372036854775807"));
    SchemaError error;
    EXPECT_FALSE(valid(max, "9223372036854775808", &error));
    EXPECT_EQ(error.keyword, "maximum");
    const CompiledSchema min = compile_ok(R"({"minimum": 9223372036854775807})");
    EXPECT_TRUE(valid(min, "9223372036854775808"));
    EXPECT_FALSE(valid(min, "-9223372036854775809"));
    EXPECT_FALSE(valid(min, "9223372036854775806"));
    // Limits beyond int64 and beyond double precision compare exactly.
    const CompiledSchema big_min = compile_ok(R"({"exclusiveMinimum": 18446744073709551616})");
    EXPECT_FALSE(valid(big_min, "18446744073709551616"));
    EXPECT_TRUE(valid(big_min, "18446744073709551617"));
    EXPECT_FALSE(valid(big_min, "1.8446744073709552e19"));  // exactly 2^64
    EXPECT_FALSE(valid(big_min, "9223372036854775807"));
    const CompiledSchema float_min = compile_ok(R"({"exclusiveMinimum": 1e19})");
    EXPECT_FALSE(valid(float_min, "10000000000000000000"));
    EXPECT_TRUE(valid(float_min, "10000000000000000001"));
    const CompiledSchema zero = compile_ok(R"({"minimum": 0})");
    EXPECT_FALSE(valid(zero, "-0.5"));
    EXPECT_TRUE(valid(zero, "-0"));
}

TEST(SchemaValidator, JsonEquality) {
    const CompiledSchema schema =
        compile_ok(R"({"enum": [{"a": 1, "b": [1, "x"]}, 18446744073709551616, "\u0000"]})");
    EXPECT_TRUE(valid(schema, R"({"b": [1.0, "x"], "a": 1e0})"));
    EXPECT_FALSE(valid(schema, R"({"b": ["x", 1], "a": 1})"));
    EXPECT_FALSE(valid(schema, R"({"a": 1, "b": [1, "x"], "c": null})"));
    EXPECT_TRUE(valid(schema, "1.8446744073709552e19"));
    EXPECT_FALSE(valid(schema, "18446744073709551617"));
    EXPECT_TRUE(valid(schema, R"("\u0000")"));
    EXPECT_FALSE(valid(schema, R"("")"));
    const CompiledSchema constant = compile_ok(R"({"const": false})");
    EXPECT_FALSE(valid(constant, "0"));
    EXPECT_TRUE(valid(constant, "false"));
}

TEST(SchemaValidator, BadRefIsACompileError) {
    EXPECT_NE(compile_error(R"({"$ref": "#/definitions/missing"})").find("unresolvable $ref"),
              std::string::npos);
    EXPECT_NE(compile_error(R"({"properties": {"a": {"$ref": "#/properties/b"}}})")
                  .find("at /properties/a"),
              std::string::npos);
    EXPECT_NE(compile_error(R"({"$ref": "other.json#/x"})").find("unsupported $ref"),
              std::string::npos);
    EXPECT_NE(compile_error(R"({"$ref": "#anchor"})").find("unsupported $ref"), std::string::npos);
    EXPECT_FALSE(compile_error(R"({"$ref": "#/%zz"})").empty());
    EXPECT_FALSE(compile_error(R"({"$ref": 5})").empty());
    EXPECT_FALSE(compile_error(R"({"$ref": "#/definitions"})").empty());  // not a schema
    EXPECT_FALSE(compile_error(R"({"$ref": "#/type", "type": "string"})").empty());
}

TEST(SchemaValidator, RefCyclesThatConsumeNothingAreCompileErrors) {
    EXPECT_NE(compile_error(R"({"definitions": {"a": {"$ref": "#/definitions/b"},
                                                "b": {"$ref": "#/definitions/a"}}})")
                  .find("cycle"),
              std::string::npos);
    EXPECT_NE(compile_error(R"({"allOf": [{"$ref": "#"}]})").find("cycle"), std::string::npos);
    EXPECT_NE(compile_error(R"({"$ref": "#"})").find("cycle"), std::string::npos);
    // Recursion through properties/items is fine.
    const CompiledSchema tree =
        compile_ok(R"({"type": "object", "properties": {"children": {"items": {"$ref": "#"}}}})");
    EXPECT_TRUE(valid(tree, R"({"children": [{"children": []}, {}]})"));
    EXPECT_FALSE(valid(tree, R"({"children": [{"children": [1]}]})"));
}

TEST(SchemaValidator, UnknownKeywordIsACompileErrorNamingIt) {
    const std::string error = compile_error(R"({"properties": {"a": {"tpye": "string"}}})");
    EXPECT_NE(error.find("unsupported keyword \"tpye\""), std::string::npos) << error;
    EXPECT_NE(error.find("/properties/a"), std::string::npos) << error;
    EXPECT_NE(compile_error(R"({"contains": {}})").find("\"contains\""), std::string::npos);
    EXPECT_NE(compile_error(R"({"if": {}, "then": {}})").find("unsupported keyword"),
              std::string::npos);
    // A typo beside $ref is still reported although $ref's siblings are ignored.
    EXPECT_NE(compile_error(R"({"$ref": "#/definitions/a", "definitions": {"a": {}}, "x": 1})")
                  .find("\"x\""),
              std::string::npos);
}

TEST(SchemaValidator, BadKeywordValuesAreCompileErrors) {
    EXPECT_FALSE(compile_error(R"({"type": "int"})").empty());
    EXPECT_FALSE(compile_error(R"({"type": []})").empty());
    EXPECT_FALSE(compile_error(R"({"minLength": -1})").empty());
    EXPECT_FALSE(compile_error(R"({"maxItems": 1.5})").empty());
    EXPECT_FALSE(compile_error(R"({"minimum": "0"})").empty());
    EXPECT_FALSE(compile_error(R"({"required": ["a", 1]})").empty());
    EXPECT_FALSE(compile_error(R"({"pattern": "(unclosed"})").empty());
    EXPECT_FALSE(compile_error(R"({"allOf": []})").empty());
    EXPECT_FALSE(compile_error(R"({"properties": {"a": 1}})").empty());
    EXPECT_FALSE(compile_error(R"({"format": 1})").empty());
    EXPECT_FALSE(compile_error("[]").empty());
    EXPECT_FALSE(compile_error("{").empty());
    EXPECT_NE(compile_error(R"({"definitions": {"a": {"$id": "#a"}}})").find("unsupported $id"),
              std::string::npos);
    EXPECT_NE(compile_error(R"({"$schema": "https://json-schema.org/draft/2020-12/schema"})")
                  .find("$schema"),
              std::string::npos);
    compile_ok(R"({"$schema": "http://json-schema.org/draft-07/schema#", "$id": "urn:x",
                   "title": "t", "description": "d", "default": 1, "examples": [1],
                   "$comment": "c"})");
}

TEST(SchemaValidator, RootIdAllowsAbsoluteSameDocumentRefs) {
    const CompiledSchema schema = compile_ok(R"({
        "$id": "https://example.invalid/s.json",
        "properties": {"a": {"$ref": "https://example.invalid/s.json#/definitions/n"}},
        "definitions": {"n": {"type": "integer"}}})");
    EXPECT_TRUE(valid(schema, R"({"a": 1})"));
    EXPECT_FALSE(valid(schema, R"({"a": "1"})"));
}

TEST(SchemaValidator, CatastrophicPatternDoesNotCrash) {
    const CompiledSchema schema = compile_ok(R"({"pattern": "^(a+)+$"})");
    const std::string text = "\"" + std::string(5000, 'a') + "!\"";
    SchemaError error;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(valid(schema, text, &error));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(error.keyword, "pattern");
    EXPECT_EQ(error.instance_pointer, "");
    EXPECT_LT(elapsed, std::chrono::seconds(30));
    const CompiledSchema nested = compile_ok(R"({"pattern": "(x+x+)+y"})");
    EXPECT_FALSE(valid(nested, "\"" + std::string(3000, 'x') + "\""));
    EXPECT_TRUE(valid(schema, R"("aaaa")"));
}

TEST(SchemaValidator, PatternIsEcmaScriptAndUnanchored) {
    const CompiledSchema digits = compile_ok(R"({"pattern": "\\d{3}"})");
    EXPECT_TRUE(valid(digits, R"("ab123cd")"));
    EXPECT_FALSE(valid(digits, R"("ab12cd")"));
    EXPECT_TRUE(valid(digits, "7"));  // non-strings pass
    const CompiledSchema anchored = compile_ok(R"({"pattern": "^a$"})");
    EXPECT_TRUE(valid(anchored, R"("a")"));
    EXPECT_FALSE(valid(anchored, R"("a\nb")"));  // ^ and $ anchor the input, not lines
    const CompiledSchema dot = compile_ok(R"({"pattern": "^.$"})");
    EXPECT_FALSE(valid(dot, R"("\n")"));
}

TEST(SchemaValidator, ErrorReportsPointers) {
    const CompiledSchema schema = compile_ok(R"({
        "type": "object",
        "required": ["id", "data"],
        "properties": {
            "id": {"type": "string"},
            "data": {"type": "object", "required": ["eventTime"],
                     "properties": {"eventTime": {"type": "integer"},
                                    "list": {"items": {"type": "string"}},
                                    "a/b~c": {"type": "null"}}}}})");
    SchemaError error;
    EXPECT_FALSE(valid(schema, R"({"id": "x", "data": {"eventTime": "1"}})", &error));
    EXPECT_EQ(error.instance_pointer, "/data/eventTime");
    EXPECT_EQ(error.keyword, "type");
    EXPECT_EQ(error.schema_pointer, "/properties/data/properties/eventTime/type");
    EXPECT_EQ(error.message, "expected integer, got string");

    EXPECT_FALSE(valid(schema, R"({"id": "x", "data": {"eventTime": 1, "list": ["a", 2]}})",
                       &error));
    EXPECT_EQ(error.instance_pointer, "/data/list/1");
    EXPECT_EQ(error.schema_pointer, "/properties/data/properties/list/items/type");

    EXPECT_FALSE(valid(schema, R"({"id": "x", "data": {"eventTime": 1, "a/b~c": 0}})", &error));
    EXPECT_EQ(error.instance_pointer, "/data/a~1b~0c");
    EXPECT_EQ(error.schema_pointer, "/properties/data/properties/a~1b~0c/type");

    EXPECT_FALSE(valid(schema, R"({"id": "x", "data": {}})", &error));
    EXPECT_EQ(error.instance_pointer, "/data");
    EXPECT_EQ(error.keyword, "required");
    EXPECT_EQ(error.schema_pointer, "/properties/data/required");
    EXPECT_EQ(error.message, "missing required member \"eventTime\"");

    EXPECT_FALSE(valid(schema, R"({"data": {"eventTime": 1}})", &error));
    EXPECT_EQ(error.instance_pointer, "");
    EXPECT_EQ(error.message, "missing required member \"id\"");

    EXPECT_FALSE(valid(schema, "[]", &error));
    EXPECT_EQ(error.keyword, "type");
    EXPECT_EQ(error.message, "expected object, got array");

    EXPECT_TRUE(valid(schema, R"({"id": "x", "data": {"eventTime": 1, "other": [1]}, "z": 1})"));
}

TEST(SchemaValidator, AdditionalPropertiesFalseNamesTheMember) {
    const CompiledSchema schema =
        compile_ok(R"({"properties": {"a": {}}, "additionalProperties": false})");
    SchemaError error;
    EXPECT_FALSE(valid(schema, R"({"a": 1, "b": 2})", &error));
    EXPECT_EQ(error.instance_pointer, "/b");
    EXPECT_EQ(error.keyword, "additionalProperties");
    EXPECT_EQ(error.schema_pointer, "/additionalProperties");
    EXPECT_EQ(error.message, "member \"b\" is not allowed");
}

TEST(SchemaValidator, ApplicatorErrors) {
    const CompiledSchema schema = compile_ok(R"({"oneOf": [{"type": "integer"}, {"minimum": 2}],
                                                 "not": {"const": 7}})");
    SchemaError error;
    EXPECT_TRUE(valid(schema, "1"));
    EXPECT_TRUE(valid(schema, "2.5"));
    EXPECT_FALSE(valid(schema, "3", &error));
    EXPECT_EQ(error.keyword, "oneOf");
    EXPECT_FALSE(valid(schema, "1.5", &error));
    EXPECT_EQ(error.keyword, "oneOf");
    const CompiledSchema negated = compile_ok(R"({"not": {"const": 7}})");
    EXPECT_FALSE(valid(negated, "7.0", &error));
    EXPECT_EQ(error.keyword, "not");
    const CompiledSchema never = compile_ok(R"({"properties": {"a": false}})");
    EXPECT_FALSE(valid(never, R"({"a": null})", &error));
    EXPECT_EQ(error.keyword, "false");
    EXPECT_EQ(error.instance_pointer, "/a");
    EXPECT_EQ(error.schema_pointer, "/properties/a");
}

TEST(SchemaValidator, DeepInstancesFailWithDepthNotACrash) {
    const CompiledSchema schema = compile_ok(R"({"items": {"$ref": "#"}})");
    const std::size_t levels = 100000;
    const std::string deep = std::string(levels, '[') + std::string(levels, ']');
    SchemaError error;
    EXPECT_FALSE(valid(schema, deep, &error));
    EXPECT_EQ(error.keyword, "depth");
    const std::string ok = std::string(64, '[') + std::string(64, ']');
    EXPECT_TRUE(valid(schema, ok));
}

TEST(SchemaValidator, ManyRequiredNames) {
    std::string schema = R"({"required": [)";
    std::string instance = "{";
    for (int i = 0; i < 70; ++i) {
        schema += (i == 0 ? "" : ",") + ("\"k" + std::to_string(i) + "\"");
        if (i != 66) {
            instance += (instance.size() == 1 ? "" : ",") + ("\"k" + std::to_string(i) + "\": 0");
        }
    }
    schema += "]}";
    const CompiledSchema compiled = compile_ok(schema);
    SchemaError error;
    EXPECT_FALSE(valid(compiled, instance + "}", &error));
    EXPECT_EQ(error.message, "missing required member \"k66\"");
    EXPECT_TRUE(valid(compiled, instance + ", \"k66\": 1}"));
}

TEST(SchemaValidator, ConcurrentValidation) {
    const CompiledSchema schema = compile_ok(R"({"type": "object", "required": ["a"],
        "properties": {"a": {"type": "string", "pattern": "^x+$", "maxLength": 10}}})");
    core::JsonDocument good;
    core::JsonDocument bad;
    ASSERT_TRUE(good.parse(R"({"a": "xxxx"})"));
    ASSERT_TRUE(bad.parse(R"({"a": "xxxy"})"));
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (std::size_t t = 0; t < failures.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                SchemaError error;
                failures[t] += schema.validate(good.root()) ? 0 : 1;
                failures[t] += schema.validate(bad.root(), &error) ? 1 : 0;
                failures[t] += error.instance_pointer == "/a" ? 0 : 1;
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(SchemaValidator, CompileCopiesTheSchema) {
    std::optional<CompiledSchema> schema;
    {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse_copy(R"({"enum": ["a", 1]})"));
        std::string error;
        auto compiled = CompiledSchema::compile(doc.root(), &error);
        ASSERT_TRUE(compiled) << error;
        schema.emplace(std::move(*compiled));
    }
    EXPECT_TRUE(valid(*schema, R"("a")"));
    EXPECT_FALSE(valid(*schema, R"("b")"));
}

TEST(SchemaValidator, CompileFileThrowsWithPath) {
    try {
        (void)CompiledSchema::compile_file("/nonexistent/x.schema.json");
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/x.schema.json"), std::string::npos);
    }
}

TEST(SchemaValidator, InvalidInstanceValueFails) {
    const CompiledSchema schema = compile_ok("true");
    SchemaError error;
    EXPECT_FALSE(schema.validate(core::JsonValue{}, &error));
    EXPECT_TRUE(valid(schema, "1"));
}

}  // namespace
}  // namespace gstream::pipeline

// Counts operator new calls on this thread while enabled: proves the success path allocates
// nothing. The replacement forwards to malloc/free for the whole test binary.
namespace gstream::pipeline {
namespace {
thread_local bool g_counting = false;
thread_local std::size_t g_allocations = 0;
}  // namespace
}  // namespace gstream::pipeline

// GCC pairs the inlined free() below with `new TestClass` and warns (a false positive: both sides
// are these replacements, malloc and free).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t size) {
    if (gstream::pipeline::g_counting) {
        ++gstream::pipeline::g_allocations;
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    if (gstream::pipeline::g_counting) {
        ++gstream::pipeline::g_allocations;
    }
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return operator new(size, tag);
}
// Every unaligned form is replaced, so each new pairs with its delete (AddressSanitizer checks).
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace gstream::pipeline {
namespace {

TEST(SchemaValidator, SuccessPathDoesNotAllocate) {
    const CompiledSchema schema = compile_ok(R"({
        "type": "object", "required": ["conversationId", "eventTime"],
        "properties": {
            "conversationId": {"type": "string", "minLength": 1, "pattern": "^[0-9a-f-]+$"},
            "eventTime": {"$ref": "#/definitions/ms"},
            "big": {"minimum": 0, "exclusiveMaximum": 1e30},
            "mediaType": {"anyOf": [{"type": "integer"}, {"enum": ["VOICE", "CHAT"]}]},
            "when": {"type": "string", "format": "date-time", "maxLength": 40},
            "ids": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
            "nested": {"oneOf": [{"type": "null"}, {"$ref": "#"}]},
            "attributes": {"additionalProperties": {"type": "string"}}},
        "definitions": {"ms": {"type": "integer", "minimum": 0}}})");
    core::JsonDocument doc;
    ASSERT_TRUE(doc.parse(R"({"conversationId": "7a0c2d4e-1111", "eventTime": 1775121295301,
        "big": 18446744073709551616, "mediaType": "CHAT", "when": "2026-11-30T10:15:02.125Z",
        "ids": ["a", "b"], "nested": {"conversationId": "c", "eventTime": 1, "nested": null},
        "attributes": {"k": "v"}, "unknown": [1, {"x": 2}]})"));
    SchemaError error;
    ASSERT_TRUE(schema.validate(doc.root(), &error)) << error.message;  // warms up the regex state
    g_allocations = 0;
    g_counting = true;
    bool all = true;
    for (int i = 0; i < 100; ++i) {
        all = schema.validate(doc.root(), &error) && all;
        all = schema.validate(doc.root()) && all;
    }
    g_counting = false;
    EXPECT_TRUE(all);
    EXPECT_EQ(g_allocations, 0u);
    // The counter works: the failure path builds the error text.
    core::JsonDocument bad;
    ASSERT_TRUE(bad.parse(R"({"conversationId": "c", "eventTime": "1"})"));
    g_counting = true;
    EXPECT_FALSE(schema.validate(bad.root(), &error));
    g_counting = false;
    EXPECT_GT(g_allocations, 0u);
    EXPECT_EQ(error.instance_pointer, "/eventTime");
}

}  // namespace
}  // namespace gstream::pipeline
