#include "sink/sink_registry.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "../../support/child_process.hpp"
#include "config/check_config_command.hpp"
#include "support/test_paths.hpp"

namespace gstream::sink {
namespace {

using gstream::testing::TempDir;

config::SinkConfig file_sink(const std::string& name, const std::string& path) {
    config::SinkConfig c;
    c.type = "file";
    c.name = name;
    c.path = path;
    return c;
}

TEST(SinkRegistry, BuildsAFileSinkUnderItsConfiguredName) {
    TempDir dir;
    const std::unique_ptr<Sink> sink = make_sink(file_sink("archive", dir.file("a/events.jsonl")));
    ASSERT_NE(sink, nullptr);
    EXPECT_EQ(sink->name(), "archive");
    EXPECT_EQ(sink->write_batch({}), SinkResult::kOk);
    // Opened: the file exists, with its parent folder created.
    EXPECT_TRUE(std::filesystem::is_regular_file(dir.file("a/events.jsonl")));
}

TEST(SinkRegistry, AnUnknownTypeIsAnErrorNamingTheSink) {
    config::SinkConfig c = file_sink("mirror", "x");
    c.type = "carrier-pigeon";
    EXPECT_EQ(check_sink(c), "sink 'mirror': unknown type 'carrier-pigeon'");
    try {
        make_sink(c);
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "sink 'mirror': unknown type 'carrier-pigeon'");
    }
}

// check-config runs the registry's offline checks once the file loaded: a file sink whose path
// is a directory is reported (no file is created or opened).
TEST(SinkRegistry, CheckConfigReportsASinkPathThatIsADirectory) {
    TempDir dir;
    const std::string file = dir.file("c.yaml");
    std::ofstream(file) << "source: {url: 'ws://127.0.0.1:1/'}\nsinks:\n  - {type: file, name: "
                           "main, path: " + dir.path() + "}\n";
    std::ostringstream out;
    std::ostringstream err;
    const int rc = config::run_check_config(
        file, std::string(GSTREAM_SOURCE_DIR) + "/schemas/config.schema.json", out, err,
        config::process_env, false, &check_sinks);
    EXPECT_EQ(rc, 2);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(err.str(), file + ": sink 'main': path '" + dir.path() +
                             "' is a directory; name a file\n");
}

}  // namespace
}  // namespace gstream::sink
