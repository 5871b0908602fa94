#include "config/config_schema.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"
#include "support/test_paths.hpp"

namespace gstream::config {
namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string schema_error(const std::string& json) {
    try {
        ConfigSchema::parse(json, "s.json");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "<parsed>";
}

TEST(ConfigSchemaTest, PropertyPaths) {
    const ConfigSchema schema = ConfigSchema::load_file(default_schema_path());
    const std::vector<std::string> paths = schema.property_paths();
    const std::set<std::string> set(paths.begin(), paths.end());
    EXPECT_EQ(set.size(), paths.size());
    for (const char* p :
         {"genesys", "genesys.region", "genesys.client_secret", "source.tls.verify",
          "pipeline.batch.max_age_ms", "pipeline.filters[].pointer", "pipeline.filters[].not_in",
          "sinks", "sinks[].type", "sinks[].path", "sinks[].fsync_interval_ms", "dead_letter.path",
          "metrics.listen", "logging.format", "shutdown_timeout_ms"}) {
        EXPECT_EQ(set.count(p), 1u) << p;
    }
    EXPECT_EQ(paths.front(), "genesys");
    EXPECT_EQ(paths.back(), "shutdown_timeout_ms");
}

// docs/configuration.md follows the schema: every key is listed (as `path` in a table row), and
// the table lists no key the schema does not have.
TEST(ConfigSchemaTest, DocsListEveryKeyAndNoOther) {
    const ConfigSchema schema = ConfigSchema::load_file(default_schema_path());
    const std::string docs = read(std::string(GSTREAM_SOURCE_DIR) + "/docs/configuration.md");
    ASSERT_FALSE(docs.empty());
    const std::vector<std::string> paths = schema.property_paths();
    for (const std::string& path : paths) {
        EXPECT_NE(docs.find("| `" + path + "` |"), std::string::npos)
            << "docs/configuration.md lacks a row for " << path;
    }
    const std::set<std::string> known(paths.begin(), paths.end());
    // Table rows that document a key start with "| `path` |".
    std::size_t rows = 0;
    std::istringstream lines(docs);
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("| `")) {
            continue;
        }
        const std::size_t close = line.find("` |", 3);
        ASSERT_NE(close, std::string::npos) << line;
        const std::string key = line.substr(3, close - 3);
        ++rows;
        EXPECT_EQ(known.count(key), 1u)
            << "docs/configuration.md documents " << key << ", not in the schema";
    }
    EXPECT_EQ(rows, paths.size());
}

TEST(ConfigSchemaTest, DocsShowTheSchemaDefaults) {
    const std::string docs = read(std::string(GSTREAM_SOURCE_DIR) + "/docs/configuration.md");
    EXPECT_NE(docs.find("| `source.max_message_bytes` | integer | `4194304` | 1024 … 268435456 |"),
              std::string::npos);
    EXPECT_NE(docs.find("| `logging.level` | string | `\"info\"` |"), std::string::npos);
}

TEST(ConfigSchemaTest, RejectsUnsupportedKeywordsWithPosition) {
    EXPECT_EQ(schema_error("{\n  \"type\": \"object\",\n  \"properties\": {\n"
                           "    \"a\": {\"type\": \"string\", \"pattern\": \"^x\"}\n  }\n}\n"),
              "s.json:4:40: schema at 'a': unsupported keyword \"pattern\"");
    EXPECT_EQ(schema_error("{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"str\"}}}"),
              "s.json:1:49: schema at 'a': unsupported type 'str'");
    EXPECT_EQ(schema_error("{\"type\": \"string\", \"format\": \"email\"}"),
              "s.json:1:30: schema: unsupported format 'email'");
    EXPECT_EQ(schema_error("{\"properties\": {}}"),
              "s.json:1:1: schema: needs \"type\" (or \"oneOf\")");
    EXPECT_EQ(schema_error("{\"type\": \"object\",}").rfind("s.json:1:", 0), 0u);
}

TEST(ConfigSchemaTest, DiscriminatorIsFoundForSinks) {
    const ConfigSchema schema = ConfigSchema::load_file(default_schema_path());
    const SchemaNode* sinks = schema.root().property("sinks");
    ASSERT_NE(sinks, nullptr);
    ASSERT_TRUE(sinks->items);
    EXPECT_EQ(sinks->items->discriminator_values,
              (std::vector<std::string>{"file", "stdout", "kafka", "nats", "http"}));
    const SchemaNode* filters = schema.root().property("pipeline")->property("filters");
    ASSERT_NE(filters, nullptr);
    EXPECT_TRUE(filters->items->discriminator_values.empty());
    EXPECT_EQ(filters->items->one_of.size(), 2u);
}

}  // namespace
}  // namespace gstream::config

namespace gstream::config {
namespace {

TEST(ConfigSchemaTest, WriteOnlyValuesAreNeverEchoed) {
    const ConfigSchema schema = ConfigSchema::parse(
        R"({"type": "object", "additionalProperties": false, "properties": {
              "genesys": {"type": "object", "properties": {
                "client_secret": {"type": "integer", "writeOnly": true, "minimum": 5}}}}})",
        "s.json");
    const EnvLookup env = env_from_map({});
    try {
        load_config_string("genesys:\n  client_secret: hunter2\n", "t.yaml", schema, env);
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(
            e.what(),
            "t.yaml:2:18: key 'genesys.client_secret': expected integer, got string '***'");
    }
    try {
        load_config_string("genesys:\n  client_secret: 3\n", "t.yaml", schema, env);
        FAIL() << "loaded";
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(),
                     "t.yaml:2:18: key 'genesys.client_secret': *** is below the minimum 5");
    }
}

}  // namespace
}  // namespace gstream::config
