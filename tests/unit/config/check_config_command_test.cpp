#include "config/check_config_command.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "config/config_loader.hpp"

namespace gstream::config {
namespace {

class CheckConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("gstream-check-config-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << text;
        return path;
    }

    std::filesystem::path dir_;
};

TEST_F(CheckConfigTest, ValidFilePrintsOk) {
    const std::string path = write(
        "ok.yaml",
        "genesys: {client_id: a, client_secret: topsecret}\nsinks: [{type: file, path: x}]\n");
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run_check_config(path, default_schema_path(), out, err, env_from_map({})), 0);
    EXPECT_EQ(out.str(), path + ": ok\n");
    // Which schema judged it, on stderr (stdout stays the result, or YAML with --print).
    EXPECT_EQ(err.str(), path + ": checked against the built-in schema\n");
}

TEST_F(CheckConfigTest, PrintShowsTheEffectiveConfigWithoutSecrets) {
    const std::string path = write(
        "ok.yaml",
        "genesys: {client_id: a, client_secret: topsecret}\nsinks: [{type: file, path: x}]\n");
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run_check_config(path, default_schema_path(), out, err, env_from_map({}), true), 0);
    EXPECT_EQ(out.str().rfind(path + ": ok\ngenesys:\n", 0), 0u) << out.str();
    EXPECT_NE(out.str().find("shutdown_timeout_ms: 10000"), std::string::npos);
    EXPECT_EQ(out.str().find("topsecret"), std::string::npos);
}

TEST_F(CheckConfigTest, InvalidFilePrintsEveryProblemAndReturns2) {
    const std::string path = write(
        "bad.yaml", "sinks:\n  - type: file\n    path: x\n    colour: red\nlogging: {level: x}\n");
    std::ostringstream out;
    std::ostringstream err;
    EXPECT_EQ(run_check_config(path, default_schema_path(), out, err, env_from_map({})), 2);
    EXPECT_EQ(out.str(), "");
    EXPECT_EQ(err.str(), path +
                             ":4:5: key 'sinks[0].colour': unknown key; allowed keys here: type, "
                             "name, path, fsync, fsync_interval_ms\n" +
                             path +
                             ":5:18: key 'logging.level': 'x' is not one of: trace, debug, info, "
                             "warn, error\n");
}

TEST_F(CheckConfigTest, SubcommandThroughCli11) {
    const std::string good =
        write("ok.yaml", "source: {url: 'ws://127.0.0.1:1/'}\nsinks: [{type: file, path: x}]\n");
    const std::string bad = write("bad.yaml", "sinks: []\n");
    {
        CLI::App app("genesys-stream");
        register_check_config_command(app);
        const char* argv[] = {"genesys-stream", "check-config", good.c_str()};
        testing::internal::CaptureStdout();
        EXPECT_NO_THROW(app.parse(3, argv));
        EXPECT_EQ(testing::internal::GetCapturedStdout(), good + ": ok\n");
    }
    {
        CLI::App app("genesys-stream");
        register_check_config_command(app);
        const char* argv[] = {"genesys-stream", "check-config", bad.c_str()};
        testing::internal::CaptureStderr();
        int rc = -1;
        try {
            app.parse(3, argv);
        } catch (const CLI::ParseError& e) {
            rc = app.exit(e);
        }
        EXPECT_EQ(rc, 2);
        EXPECT_EQ(testing::internal::GetCapturedStderr(),
                  bad +
                      ":1:8: key 'sinks': expected at least 1 item, got 0 (Where delivered "
                      "batches go; at least one. Each sink has a type.)\n");
    }
    {
        CLI::App app("genesys-stream");
        register_check_config_command(app);
        const char* argv[] = {"genesys-stream", "check-config"};
        int rc = -1;
        try {
            app.parse(2, argv);
        } catch (const CLI::ParseError& e) {
            std::ostringstream sink;
            rc = app.exit(e, sink, sink);
        }
        EXPECT_NE(rc, 0);
        EXPECT_NE(rc, -1);
    }
}

}  // namespace
}  // namespace gstream::config
