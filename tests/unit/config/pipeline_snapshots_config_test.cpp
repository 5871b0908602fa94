// pipeline.snapshots: the snapshot deriver's keys (schemas/config.schema.json, docs/lifecycle.md).

#include <string>

#include <gtest/gtest.h>

#include "config/config_error.hpp"
#include "config/config_loader.hpp"

namespace gstream::config {
namespace {

const std::string kBase =
    "genesys:\n"
    "  client_id: id\n"
    "  client_secret: s3cret\n"
    "sinks:\n"
    "  - type: file\n"
    "    path: out/a.jsonl\n";

Config load(const std::string& yaml) {
    static const ConfigSchema kSchema = ConfigSchema::load_file(default_schema_path());
    return load_config_string(yaml, "t.yaml", kSchema, env_from_map({}));
}

std::string error_of(const std::string& yaml) {
    try {
        load(yaml);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<loaded>";
}

TEST(PipelineSnapshotsConfig, Defaults) {
    const Config c = load(kBase);
    EXPECT_EQ(c.pipeline.snapshots.emit, "transitions");
    EXPECT_EQ(c.pipeline.snapshots.ended_ttl_ms, 300000);
    EXPECT_EQ(c.pipeline.snapshots.idle_ttl_ms, 14400000);
    EXPECT_EQ(c.pipeline.snapshots.max_conversations, 100000);
}

TEST(PipelineSnapshotsConfig, EveryKeySetAndShownInTheLogString) {
    const Config c = load(kBase +
                          "pipeline:\n"
                          "  snapshots:\n"
                          "    emit: both\n"
                          "    ended_ttl_ms: 1000\n"
                          "    idle_ttl_ms: 2000\n"
                          "    max_conversations: 3\n");
    EXPECT_EQ(c.pipeline.snapshots.emit, "both");
    EXPECT_EQ(c.pipeline.snapshots.ended_ttl_ms, 1000);
    EXPECT_EQ(c.pipeline.snapshots.idle_ttl_ms, 2000);
    EXPECT_EQ(c.pipeline.snapshots.max_conversations, 3);
    const std::string shown = to_log_string(c);
    EXPECT_NE(shown.find("snapshots:\n    emit: both\n    ended_ttl_ms: 1000\n    idle_ttl_ms: "
                         "2000\n    max_conversations: 3"),
              std::string::npos)
        << shown;
}

TEST(PipelineSnapshotsConfig, EnumBoundsAndUnknownKeys) {
    EXPECT_EQ(error_of(kBase + "pipeline:\n  snapshots:\n    emit: all\n"),
              "t.yaml:9:11: key 'pipeline.snapshots.emit': 'all' is not one of: transitions, "
              "snapshots, both");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  snapshots:\n    max_conversations: 0\n"),
              "t.yaml:9:24: key 'pipeline.snapshots.max_conversations': 0 is below the minimum 1");
    EXPECT_EQ(error_of(kBase + "pipeline:\n  snapshots:\n    ended_ttl_ms: 86400001\n"),
              "t.yaml:9:19: key 'pipeline.snapshots.ended_ttl_ms': 86400001 is above the maximum "
              "86400000");
    EXPECT_NE(error_of(kBase + "pipeline:\n  snapshots:\n    ttl_ms: 5\n")
                  .find("key 'pipeline.snapshots.ttl_ms': unknown key"),
              std::string::npos);
}

}  // namespace
}  // namespace gstream::config
