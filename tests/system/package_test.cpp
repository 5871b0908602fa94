// Issue 15, "install anywhere": the Debian package that CPack builds from this build's
// configuration, installed into a scratch root with `dpkg -x`: its control fields, its files (the
// same as `cmake --install`'s), and `check-config` and a `--once` run against the emulator from
// there. A system test: CPack compresses the whole binary (a sanitizer build's is 240 MB).
#include <filesystem>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "core/json_document.hpp"
#include "support/install_tree.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string envelope(int message, int events) {
    std::string s = R"({"stream":"interaction.lifecycle","subscriptionId":"s1","events":[)";
    for (int i = 0; i < events; ++i) {
        const std::string id = "m" + std::to_string(message) + "e" + std::to_string(i);
        s +=
            std::string(i ? "," : "") + R"({"id":")" + id +
            R"(","timestamp":"2026-11-30T10:00:00Z","eventType":"acd.start","data":{"conversationId":"c)" +
            id + R"(","eventTime":1764496800000,"queueId":"q1","mediaType":"VOICE"}})";
    }
    return s + "]}";
}

TEST(Package, TheDebInstalledIntoAScratchRootChecksItsConfigAndRunsOnceAgainstTheEmulator) {
    TempDir dir;
    // CPack with this build's configuration, its output and staging in the temp folder.
    const auto [code, output] =
        run_shell("cd " + dir.path() + " && " + cpack_command() + " -G DEB --config " +
                  build_dir() + "/CPackConfig.cmake -B " + dir.file("out") + " 2>&1");
    ASSERT_EQ(code, 0) << output;
    std::string arch = run_shell("dpkg --print-architecture").second;
    arch = arch.substr(0, arch.find('\n'));
    const std::string deb =
        dir.file("out/genesys-stream_" + project_version() + "_" + arch + ".deb");
    ASSERT_TRUE(fs::exists(deb)) << output;
    EXPECT_LT(fs::file_size(deb), 20u * 1024 * 1024);

    // The control fields: Depends from dpkg-shlibdeps (the daemon's libraries) and the conffiles.
    const std::string depends = run_shell("dpkg-deb -f " + deb + " Depends").second;
    for (const std::string p :
         {"ca-certificates", "libsystemd0", "libssl3", "librdkafka1", "libnats3.4", "libsqlite3-0",
          "libyaml-cpp0.7", "libfmt9", "libprometheus-cpp-core1.0", "libsimdjson14",
          "libboost-json1.81.0"}) {
        EXPECT_NE(depends.find(p), std::string::npos) << p << " not in " << depends;
    }
    const auto [ctl_code, ctl_out] =
        run_shell("dpkg-deb -e " + deb + " " + dir.file("control") + " 2>&1");
    EXPECT_EQ(ctl_code, 0) << ctl_out;
    EXPECT_EQ(read_file(dir.file("control/conffiles")),
              "/etc/genesys-stream/config.yaml\n/etc/genesys-stream/env\n");

    // Unpacked into a scratch root: the same files `cmake --install` puts there.
    const std::string root = dir.file("root");
    ASSERT_EQ(run_shell("dpkg -x " + deb + " " + root).first, 0);
    const auto [i_code, i_out] = install_into(dir.file("installed"));
    ASSERT_EQ(i_code, 0) << i_out;
    EXPECT_EQ(files_below(root), files_below(dir.file("installed")));
    const std::string binary = root + "/usr/bin/genesys-stream";
    EXPECT_NE(run_shell("file -b " + binary).second.find(", stripped"), std::string::npos);

    const std::string packaged = root + "/etc/genesys-stream/config.yaml";
    const auto [cc_code, cc_out] =
        run_shell(kPackagedCredentials + binary + " check-config " + packaged + " 2>&1");
    EXPECT_EQ(cc_code, 0) << cc_out;
    EXPECT_EQ(cc_out.substr(0, cc_out.find('\n')), packaged + ": ok");

    // A --once run from the scratch root: 3 messages of 4 events from the emulator, a stdout sink.
    std::string replay;
    for (int m = 0; m < 3; ++m) {
        replay += envelope(m, 4) + "\n";
    }
    write_file(dir.file("replay.jsonl"), replay);
    auto emulator = start_emulator({"--protocol", "envelope", "--replay", dir.file("replay.jsonl")},
                                   dir.file("emulator.log"));
    write_file(dir.file("run.yaml"), "genesys:\n  base_url: " + emulator.origin() +
                                         "\n  client_id: demo\n  client_secret: demo\n"
                                         "source:\n  protocol: envelope\n"
                                         "sinks:\n  - type: stdout\n"
                                         "data_dir: " +
                                         dir.file("state") + "\n");
    const RunResult r =
        run_consumer(dir.file("run.yaml"), dir.file("run.log"), 60s, {"--once"}, binary);
    EXPECT_EQ(r.exit_code, 0) << r.log;
    ASSERT_TRUE(r.summary) << r.log;
    EXPECT_EQ((*r.summary)["received"], 12);
    EXPECT_EQ((*r.summary)["delivered"], 12);
    EXPECT_EQ((*r.summary)["dead_lettered"], 0);
    ASSERT_EQ(r.stdout_lines.size(), 12u) << r.log;
    std::set<std::string> ids;
    for (const std::string& line : r.stdout_lines) {
        core::JsonDocument doc;
        ASSERT_TRUE(doc.parse(line)) << line;
        ids.insert(std::string(doc.root().find("id").get_string()));
    }
    EXPECT_EQ(ids.size(), 12u);
    EXPECT_TRUE(ids.contains("m0e0") && ids.contains("m2e3"));
}

}  // namespace
}  // namespace gstream::testing
