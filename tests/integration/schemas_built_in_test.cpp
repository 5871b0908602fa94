// Issue 15, "install anywhere": the schemas are built into the binary, so a copy of it in any
// folder checks configurations and validates events; --schema-dir and $GSTREAM_SCHEMA_DIR
// replace them, and the messages say which were used.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

namespace fs = std::filesystem;

struct Moved {
    TempDir dir;
    std::string binary = dir.file("bin/genesys-stream");
    std::string config = dir.file("gstream.yaml");
    Moved() {
        fs::create_directories(dir.file("bin"));
        fs::copy_file(GSTREAM_BINARY, binary);
        write_file(config,
                   "source: { url: 'ws://127.0.0.1:1/stream' }\n"
                   "sinks: [{ type: stdout }]\n"
                   "data_dir: " + dir.file("state") + "\n");
    }
};

TEST(SchemasBuiltIn, AMovedBinaryChecksConfigurationsAndValidatesEventsWithItsOwnSchemas) {
    Moved m;
    const auto [code, output] = run_shell("cd / && " + m.binary + " check-config " + m.config + " 2>&1");
    EXPECT_EQ(code, 0) << output;
    EXPECT_EQ(output, m.config + ": ok\n" + m.config + ": checked against the built-in schema\n");

    const auto [vcode, voutput] = run_shell(
        "cd / && " + m.binary + " validate 2>&1",
        R"({"id":"e1","timestamp":"2026-11-30T10:00:00Z","eventType":"acd.start","data":{"conversationId":"c","eventTime":1764496800000,"queueId":"q"}})"
        "\n");
    EXPECT_EQ(vcode, 0) << voutput;
    EXPECT_NE(voutput.find("event schemas built in"), std::string::npos) << voutput;
    EXPECT_NE(voutput.find("-:1: valid"), std::string::npos) << voutput;
}

TEST(SchemasBuiltIn, SchemaDirAndItsEnvironmentVariableReplaceTheBuiltInSchemas) {
    Moved m;
    // A folder with no config.schema.json: the option names it, before and after the subcommand.
    for (const std::string& args : {" --schema-dir " + m.dir.path() + " check-config " + m.config,
                                    " check-config --schema-dir=" + m.dir.path() + " " + m.config}) {
        const auto [code, output] = run_shell(m.binary + args + " 2>&1");
        EXPECT_EQ(code, 2) << output;
        EXPECT_NE(output.find(m.dir.path() + "/config.schema.json: cannot read the configuration "
                              "schema"),
                  std::string::npos)
            << output;
    }
    // The source tree's schemas/ through the environment: used, and named.
    const std::string source_schemas = std::string(GSTREAM_SOURCE_DIR) + "/schemas";
    const auto [code, output] = run_shell("GSTREAM_SCHEMA_DIR=" + source_schemas + " " + m.binary +
                                          " check-config " + m.config + " 2>&1");
    EXPECT_EQ(code, 0) << output;
    EXPECT_NE(output.find("checked against the schema " + source_schemas + "/config.schema.json"),
              std::string::npos)
        << output;
}

}  // namespace
}  // namespace gstream::testing
