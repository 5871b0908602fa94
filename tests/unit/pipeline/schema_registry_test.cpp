// The event schemas in schemas/events/: loading, choice per event kind, the real Genesys payloads
// of shared/fixtures/genesys-real, and consistency between the per-kind files.

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "pipeline/schema/schema_registry.hpp"
#include "support/test_paths.hpp"

namespace gstream::pipeline {
namespace {

namespace fs = std::filesystem;

const std::string kSchemaDir = std::string(GSTREAM_SOURCE_DIR) + "/schemas/events";
const std::string kFixtureDir = std::string(GSTREAM_SHARED_DIR) + "/fixtures/genesys-real";

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

const SchemaRegistry& registry() {
    static const SchemaRegistry r = SchemaRegistry::load(kSchemaDir);
    return r;
}

bool valid(const CompiledSchema& schema, std::string_view json, SchemaError* error = nullptr) {
    core::JsonDocument doc;
    EXPECT_TRUE(doc.parse(json)) << json;
    return schema.validate(doc.root(), error);
}

bool valid_event(std::string_view json, SchemaError* error = nullptr) {
    core::JsonDocument doc;
    EXPECT_TRUE(doc.parse(json)) << json;
    return registry().validate_event(doc.root(), error);
}

TEST(SchemaRegistry, LoadsEveryDetailKindOfApiNotes) {
    const std::vector<std::string> expected{
        "acd.end",   "acd.start",   "acw",        "attributes",      "contact",
        "customer.end", "customer.start", "flow.end", "flow.outcome", "flow.start",
        "outbound",  "user.end",    "user.start", "voicemail.end",   "voicemail.start",
        "wrapup"};
    EXPECT_EQ(registry().kinds(), expected);
    EXPECT_EQ(&registry().detail("not.a.kind"), &registry().detail_common());
    EXPECT_EQ(&registry().detail("detail-common"), &registry().detail_common());
    EXPECT_EQ(&registry().detail("envelope-event"), &registry().detail_common());
    EXPECT_NE(&registry().detail("acd.end"), &registry().detail_common());
    EXPECT_FALSE(registry().has_kind(""));
    // The snapshot and transition schemas are not detail kinds.
    EXPECT_FALSE(registry().has_kind("conversation-snapshot"));
    EXPECT_FALSE(registry().has_kind("lifecycle-transition"));
    EXPECT_EQ(&registry().detail("lifecycle-transition"), &registry().detail_common());
    EXPECT_NE(registry().snapshot(), nullptr);
    EXPECT_NE(registry().transition(), nullptr);
}

TEST(SchemaRegistry, EnvelopeEvent) {
    const CompiledSchema& envelope = registry().envelope_event();
    EXPECT_TRUE(valid(envelope, R"({"id": "e1", "timestamp": "2026-11-30T11:15:02.1+01:00",
        "eventType": "acd.start", "data": {}, "extra": 1})"));
    SchemaError error;
    EXPECT_FALSE(valid(envelope, R"({"id": "", "timestamp": "2026-11-30T10:15:02Z",
        "eventType": "acd.start", "data": {}})", &error));
    EXPECT_EQ(error.instance_pointer, "/id");
    EXPECT_EQ(error.keyword, "minLength");
    EXPECT_FALSE(valid(envelope, R"({"id": "e", "timestamp": "2026-02-30T10:15:02Z",
        "eventType": "acd.start", "data": {}})", &error));
    EXPECT_EQ(error.instance_pointer, "/timestamp");
    EXPECT_EQ(error.keyword, "format");
    EXPECT_FALSE(valid(envelope, R"({"id": "e", "timestamp": "2026-11-30T10:15:02Z",
        "eventType": "acd.start", "data": []})", &error));
    EXPECT_EQ(error.instance_pointer, "/data");
    EXPECT_EQ(error.keyword, "type");
    EXPECT_FALSE(valid(envelope, R"({"id": "e", "timestamp": "2026-11-30T10:15:02Z",
        "data": {}})", &error));
    EXPECT_EQ(error.keyword, "required");
    EXPECT_EQ(error.message, "missing required member \"eventType\"");
}

TEST(SchemaRegistry, EveryDetailSchemaRequiresConversationIdAndEventTime) {
    std::vector<std::string> kinds = registry().kinds();
    kinds.emplace_back("unknown.kind");
    for (const std::string& kind : kinds) {
        const CompiledSchema& schema = registry().detail(kind);
        SCOPED_TRACE(kind);
        EXPECT_TRUE(valid(schema, R"({"conversationId": "c", "eventTime": 0, "newField": [1]})"));
        SchemaError error;
        EXPECT_FALSE(valid(schema, R"({"eventTime": 1})", &error));
        EXPECT_EQ(error.keyword, "required");
        EXPECT_FALSE(valid(schema, R"({"conversationId": "c"})", &error));
        EXPECT_EQ(error.keyword, "required");
        EXPECT_FALSE(valid(schema, R"({"conversationId": "c", "eventTime": "1"})", &error));
        EXPECT_EQ(error.instance_pointer, "/eventTime");
        EXPECT_EQ(error.keyword, "type");
        EXPECT_FALSE(valid(schema, R"({"conversationId": "c", "eventTime": -1})", &error));
        EXPECT_EQ(error.keyword, "minimum");
        EXPECT_FALSE(valid(schema, R"({"conversationId": 7, "eventTime": 1})", &error));
        EXPECT_EQ(error.instance_pointer, "/conversationId");
        EXPECT_TRUE(valid(schema, R"({"conversationId": "c", "eventTime": 1775121295301.0})"));
    }
}

TEST(SchemaRegistry, EnumsAreOpenAndFieldsTyped) {
    const CompiledSchema& acd_end = registry().detail("acd.end");
    EXPECT_TRUE(valid(acd_end, R"({"conversationId": "c", "eventTime": 1, "acdOutcome": "NEW",
        "usedRouting": "SOMETHING_ELSE", "mediaType": "HOLOGRAM", "flowType": "inqueuecall",
        "disconnectType": "TELEPORT", "direction": "SIDEWAYS"})"));
    SchemaError error;
    EXPECT_FALSE(valid(acd_end, R"({"conversationId": "c", "eventTime": 1,
        "routingPriority": "40"})", &error));
    EXPECT_EQ(error.instance_pointer, "/routingPriority");
    EXPECT_EQ(error.keyword, "type");
    EXPECT_FALSE(valid(acd_end, R"({"conversationId": "c", "eventTime": 1,
        "requestedRoutingSkillIds": ["a", 3]})", &error));
    EXPECT_EQ(error.instance_pointer, "/requestedRoutingSkillIds/1");
    EXPECT_FALSE(valid(acd_end, R"({"conversationId": "c", "eventTime": 1,
        "connectedDurationMs": 1.5})", &error));
    EXPECT_EQ(error.instance_pointer, "/connectedDurationMs");

    const CompiledSchema& attributes = registry().detail("attributes");
    EXPECT_FALSE(valid(attributes, R"({"conversationId": "c", "eventTime": 1,
        "attributes": {"a": "1", "b": 2}})", &error));
    EXPECT_EQ(error.instance_pointer, "/attributes/b");
    const CompiledSchema& acd_start = registry().detail("acd.start");
    EXPECT_FALSE(valid(acd_start, R"({"conversationId": "c", "eventTime": 1,
        "skillExpressionApplied": "true"})", &error));
    EXPECT_EQ(error.instance_pointer, "/skillExpressionApplied");
    const CompiledSchema& outcome = registry().detail("flow.outcome");
    EXPECT_FALSE(valid(outcome, R"({"conversationId": "c", "eventTime": 1,
        "flowMilestones": [{"milestoneId": "m", "milestoneTime": "x"}]})", &error));
    EXPECT_EQ(error.instance_pointer, "/flowMilestones/0/milestoneTime");
}

TEST(SchemaRegistry, ValidateEventPrefixesPointersWithTheFile) {
    SchemaError error;
    EXPECT_TRUE(valid_event(R"({"id": "e", "timestamp": "2026-11-30T10:15:02Z",
        "eventType": "acd.end", "data": {"conversationId": "c", "eventTime": 1}})"));
    EXPECT_FALSE(valid_event(R"({"id": "e", "timestamp": "2026-11-30T10:15:02Z",
        "eventType": "acd.end", "data": {"conversationId": "c", "eventTime": "x"}})", &error));
    EXPECT_EQ(error.instance_pointer, "/data/eventTime");
    EXPECT_EQ(error.keyword, "type");
    EXPECT_EQ(error.schema_pointer, "acd.end.schema.json#/definitions/epochMs/type");
    EXPECT_FALSE(valid_event(R"({"id": "e", "timestamp": "2026-11-30T10:15:02Z",
        "eventType": "brand.new", "data": {"eventTime": 1}})", &error));
    EXPECT_EQ(error.instance_pointer, "/data");
    EXPECT_EQ(error.schema_pointer, "detail-common.schema.json#/required");
    EXPECT_FALSE(valid_event(R"({"id": "e", "timestamp": "2026-11-30T10:15:02",
        "eventType": "acd.end", "data": {}})", &error));
    EXPECT_EQ(error.instance_pointer, "/timestamp");
    EXPECT_EQ(error.schema_pointer, "envelope-event.schema.json#/properties/timestamp/format");
}

// The real payloads: every conversation detail event's eventBody passes the schema of its kind.
TEST(SchemaRegistry, RealGenesysDetailEventsPass) {
    if (!fs::is_directory(kFixtureDir)) {
        GTEST_SKIP() << "fixtures folder absent: " << kFixtureDir;
    }
    constexpr std::string_view kPrefix = "v2.detail.events.conversation.";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(kFixtureDir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("eventbridge-", 0) == 0 && entry.path().extension() == ".json") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    int checked = 0;
    for (const fs::path& path : files) {
        const std::string text = read_file(path);
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(text)) << path;
        const std::string_view detail_type = doc.root().find("detail-type").get_string();
        if (detail_type.substr(0, kPrefix.size()) != kPrefix) {
            continue;
        }
        // "v2.detail.events.conversation.{id}.acd.end" -> "acd.end"
        const std::size_t id_end = detail_type.find('.', kPrefix.size());
        ASSERT_NE(id_end, std::string_view::npos) << path;
        const std::string kind(detail_type.substr(id_end + 1));
        SCOPED_TRACE(path.filename().string() + " (" + kind + ")");
        EXPECT_TRUE(registry().has_kind(kind));
        const core::JsonValue body = doc.root().at_pointer("/detail/eventBody");
        ASSERT_TRUE(body.is_object());
        SchemaError error;
        EXPECT_TRUE(registry().detail(kind).validate(body, &error))
            << error.keyword << " at " << error.instance_pointer << ": " << error.message;
        EXPECT_TRUE(registry().detail_common().validate(body, &error))
            << "common: " << error.keyword << " at " << error.instance_pointer;
        // The same body inside our envelope.
        const std::string event = R"({"id": "e1", "timestamp": ")" +
                                  std::string(doc.root().at_pointer("/detail/timestamp").get_string()) +
                                  R"(", "eventType": ")" + kind + R"(", "data": )" +
                                  std::string(body.raw()) + "}";
        EXPECT_TRUE(valid_event(event, &error)) << error.schema_pointer << ": " << error.message;
        ++checked;
    }
    EXPECT_GE(checked, 8) << "conversation detail fixtures found in " << kFixtureDir;
}

// The per-kind files repeat the common fields and definitions (a $ref cannot leave its file):
// they must stay identical to detail-common.schema.json.
TEST(SchemaRegistry, KindSchemasRepeatTheCommonDefinitionsVerbatim) {
    core::JsonDocument common;
    const std::string common_text = read_file(kSchemaDir + "/detail-common.schema.json");
    ASSERT_TRUE(common.parse(common_text));
    for (const std::string& kind : registry().kinds()) {
        SCOPED_TRACE(kind);
        const std::string text = read_file(kSchemaDir + "/" + kind + ".schema.json");
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(text));
        EXPECT_EQ(text.find("\"additionalProperties\": false"), std::string::npos);
        EXPECT_EQ(doc.root().find("required").raw(), common.root().find("required").raw());
        int shared = 0;
        for (const char* section : {"properties", "definitions"}) {
            doc.root().find(section).for_each_member(
                [&](std::string_view name, const core::JsonValue& value) {
                    const core::JsonValue mine = common.root().find(section).find(name);
                    if (mine.valid()) {
                        ++shared;
                        EXPECT_EQ(value.raw(), mine.raw()) << section << "/" << name;
                    }
                });
        }
        EXPECT_GE(shared, 5);
    }
}

TEST(SchemaRegistry, LoadErrorsNameTheFile) {
    EXPECT_THROW((void)SchemaRegistry::load("/nonexistent-schema-dir"), std::runtime_error);
    const fs::path dir = fs::temp_directory_path() /
                         ("gstream-schema-test-" + std::to_string(::testing::UnitTest::GetInstance()
                                                                      ->random_seed()));
    fs::create_directories(dir);
    const auto write = [&](const std::string& name, const std::string& body) {
        std::ofstream(dir / name) << body;
    };
    write("envelope-event.schema.json", R"({"type": "object"})");
    try {
        (void)SchemaRegistry::load(dir.string());
        ADD_FAILURE() << "loaded without detail-common";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("detail-common.schema.json"), std::string::npos);
    }
    write("detail-common.schema.json", R"({"type": "object"})");
    write("acd.end.schema.json", R"({"type": "object", "propertes": {}})");
    try {
        (void)SchemaRegistry::load(dir.string());
        ADD_FAILURE() << "loaded a schema with an unknown keyword";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("acd.end.schema.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("\"propertes\""), std::string::npos) << e.what();
    }
    write("acd.end.schema.json", R"({"type": "object"})");
    EXPECT_EQ(SchemaRegistry::load(dir.string()).kinds(), std::vector<std::string>{"acd.end"});
    fs::remove_all(dir);
}

}  // namespace
}  // namespace gstream::pipeline
