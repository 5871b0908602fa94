// Issue 15, "install anywhere": `cmake --install` (stripped binary, configuration, unit, man page,
// completion, docs, alert rules) and the container file's references. The Debian package itself:
// tests/system/package_test.cpp.
#include <filesystem>
#include <map>
#include <cctype>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/install_tree.hpp"
#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {
namespace {

namespace fs = std::filesystem;

TEST(Install, TheTreeHoldsAStrippedBinaryAndEveryFileTheUnitManPageAndCompletionName) {
    TempDir dir;
    const std::string root = dir.file("root");
    const auto [code, output] = install_into(root);
    ASSERT_EQ(code, 0) << output;
    const std::set<std::string> files = files_below(root);
    for (const std::string f :
         {"/usr/bin/genesys-stream", "/etc/genesys-stream/config.yaml", "/etc/genesys-stream/env",
          "/usr/lib/systemd/system/genesys-stream.service",
          "/usr/share/man/man1/genesys-stream.1.gz",
          "/usr/share/bash-completion/completions/genesys-stream",
          "/usr/share/genesys-stream/prometheus/alerts.yml",
          "/usr/share/doc/genesys-stream/README.md", "/usr/share/doc/genesys-stream/operations.md",
          "/usr/share/doc/genesys-stream/configuration.md",
          "/usr/share/doc/genesys-stream/sinks/kafka.md",
          "/usr/share/doc/genesys-stream/examples/minimal.yaml"}) {
        EXPECT_TRUE(files.contains(f)) << f;
    }
    // Every docs/*.md, docs/sinks/*.md and examples/*.yaml of the checkout.
    for (const auto& [from, to] : std::map<std::string, std::string>{
             {"/docs", "/usr/share/doc/genesys-stream"},
             {"/docs/sinks", "/usr/share/doc/genesys-stream/sinks"},
             {"/examples", "/usr/share/doc/genesys-stream/examples"}}) {
        for (const auto& e : fs::directory_iterator(GSTREAM_SOURCE_DIR + from)) {
            if (e.is_regular_file()) {
                EXPECT_TRUE(files.contains(to + "/" + e.path().filename().string())) << e.path();
            }
        }
    }

    // Stripped: `file` says so, and it lost the build's debug information (release: 152 MB to
    // 7 MB; a sanitizer build keeps more, its instrumentation being code).
    const std::string binary = root + "/usr/bin/genesys-stream";
    EXPECT_NE(run_shell("file -b " + binary).second.find(", stripped"), std::string::npos);
    EXPECT_LT(fs::file_size(binary) * 3 / 2, fs::file_size(GSTREAM_BINARY));
    // The secret-bearing environment file is root's only.
    EXPECT_EQ(fs::status(root + "/etc/genesys-stream/env").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);

    // The unit names the installed binary and configuration, each of which exists.
    const std::string unit = read_file(root + "/usr/lib/systemd/system/genesys-stream.service");
    EXPECT_NE(unit.find("\nType=notify\n"), std::string::npos);
    EXPECT_NE(unit.find("\nNotifyAccess=main\n"), std::string::npos);
    EXPECT_NE(unit.find("\nWatchdogSec=30\n"), std::string::npos);
    EXPECT_NE(unit.find("\nStateDirectory=genesys-stream\n"), std::string::npos);
    EXPECT_NE(unit.find("\nExecStart=/usr/bin/genesys-stream run --config "
                        "/etc/genesys-stream/config.yaml\n"),
              std::string::npos)
        << unit;
    // Every absolute /usr or /etc path, at the start or after whitespace, '=', ':' or '-'.
    // (A scan, not std::regex: GCC 12 warns inside <regex> at -O1, and warnings are errors.)
    int referenced = 0;
    const auto path_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' ||
               c == '/' || c == '-';
    };
    for (std::size_t at = 0; at < unit.size(); ++at) {
        const bool boundary = at == 0 || std::isspace(static_cast<unsigned char>(unit[at - 1])) ||
                              unit[at - 1] == '=' || unit[at - 1] == ':' || unit[at - 1] == '-';
        if (!boundary || !(unit.compare(at, 5, "/usr/") == 0 || unit.compare(at, 5, "/etc/") == 0)) {
            continue;
        }
        std::size_t end = at + 5;
        while (end < unit.size() && path_char(unit[end])) {
            ++end;
        }
        if (end == at + 5) {
            continue;
        }
        const std::string path = unit.substr(at, end - at);
        EXPECT_TRUE(fs::exists(root + path)) << "the unit names " << path;
        ++referenced;
        at = end;
    }
    // The header comment (2), Documentation, EnvironmentFile, ExecStartPre (2), ExecStart (2).
    EXPECT_EQ(referenced, 8);

    // The man page: gzipped roff whose FILES section names files that the package installs.
    const auto [man_code, man] =
        run_shell("gzip -dc " + root + "/usr/share/man/man1/genesys-stream.1.gz");
    ASSERT_EQ(man_code, 0);
    EXPECT_EQ(man.rfind(".TH GENESYS-STREAM 1 ", 0), 0u);
    for (const std::string f : {"/etc/genesys-stream/config.yaml", "/etc/genesys-stream/env",
                                "/usr/share/doc/genesys-stream"}) {
        EXPECT_NE(man.find(".I " + f + "\n"), std::string::npos) << f;
        EXPECT_TRUE(fs::exists(root + f)) << f;
    }

    // The completion script parses, registers itself, and offers the subcommands.
    const std::string completion = root + "/usr/share/bash-completion/completions/genesys-stream";
    const auto [c_code, c_out] = run_shell(
        "bash -c '_filedir() { :; }; _init_completion() { cur=che prev=genesys-stream cword=1; "
        "words=(genesys-stream che); }; source " +
        completion +
        " && complete -p genesys-stream && _genesys_stream && echo \"${COMPREPLY[*]}\"' 2>&1");
    EXPECT_EQ(c_code, 0) << c_out;
    EXPECT_EQ(c_out, "complete -F _genesys_stream genesys-stream\ncheck-config\n");

    // The packaged configuration checks out with the environment file's variables set.
    const auto [cc_code, cc_out] = run_shell(kPackagedCredentials + binary + " check-config " +
                                             root + "/etc/genesys-stream/config.yaml 2>&1");
    EXPECT_EQ(cc_code, 0) << cc_out;
    EXPECT_EQ(cc_out, root + "/etc/genesys-stream/config.yaml: ok\n" + root +
                          "/etc/genesys-stream/config.yaml: checked against the built-in schema\n");
}

/// A Containerfile's instructions in order: (KEYWORD, arguments), continuation lines joined,
/// comments dropped.
std::vector<std::pair<std::string, std::string>> parse_containerfile(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> instructions;
    std::istringstream in(text);
    std::string logical;
    for (std::string line; std::getline(in, line);) {
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') {
            continue;
        }
        if (line.ends_with("\\")) {
            logical += line.substr(0, line.size() - 1) + " ";
            continue;
        }
        logical += line;
        const auto space = logical.find(' ');
        instructions.emplace_back(logical.substr(0, space),
                                  space == std::string::npos ? "" : logical.substr(space + 1));
        logical.clear();
    }
    return instructions;
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

TEST(Container, TheContainerfileCopiesPathsThatExistAndRunsTheInstalledBinaryAsANonRootUser) {
    TempDir dir;
    const std::string root = dir.file("root");
    const auto [code, output] = install_into(root);
    ASSERT_EQ(code, 0) << output;
    const auto instructions =
        parse_containerfile(read_file(GSTREAM_SOURCE_DIR + "/deploy/container/Containerfile"));
    ASSERT_FALSE(instructions.empty());
    EXPECT_EQ(instructions.front(),
              (std::pair<std::string, std::string>{"FROM", "debian:12-slim"}));

    std::map<std::string, std::string> args;  // ARG defaults
    std::map<std::string, std::vector<std::string>> by_keyword;
    std::set<std::string> copied_to;
    std::string arch = run_shell("dpkg --print-architecture").second;
    arch = arch.substr(0, arch.find('\n'));
    int debs = 0;
    for (const auto& [keyword, rest] : instructions) {
        by_keyword[keyword].push_back(rest);
        if (keyword == "ARG" && rest.find('=') != std::string::npos) {
            args[rest.substr(0, rest.find('='))] = rest.substr(rest.find('=') + 1);
        }
        if (keyword != "COPY" && keyword != "ADD") {
            continue;
        }
        EXPECT_EQ(keyword, "COPY") << "ADD fetches and unpacks; COPY only copies";
        std::vector<std::string> operands;
        for (std::string w : words(rest)) {
            if (w.starts_with("--")) {
                continue;  // --chown=..., --chmod=...
            }
            for (const auto& [name, value] : args) {
                for (const std::string& ref : {"${" + name + "}", "$" + name}) {
                    if (const auto at = w.find(ref); at != std::string::npos) {
                        w.replace(at, ref.size(), value);
                    }
                }
            }
            operands.push_back(w);
        }
        ASSERT_GE(operands.size(), 2u) << rest;
        copied_to.insert(operands.back());
        for (std::size_t i = 0; i + 1 < operands.size(); ++i) {
            const std::string& from = operands[i];
            if (from.ends_with(".deb")) {
                // What `make package` writes (tests/system/package_test.cpp builds the same name).
                EXPECT_EQ(from, "build/release/genesys-stream_" + project_version() + "_" + arch +
                                    ".deb");
                ++debs;
            } else {
                EXPECT_TRUE(fs::exists(GSTREAM_SOURCE_DIR + "/" + from)) << "COPY " << from;
            }
        }
    }
    EXPECT_EQ(debs, 1);

    // Not root; the data directory a volume; a health check on /healthz at the admin port.
    ASSERT_EQ(by_keyword["USER"].size(), 1u);
    EXPECT_EQ(by_keyword["USER"][0], "genesys-stream");
    EXPECT_EQ(by_keyword["VOLUME"], std::vector<std::string>{"/var/lib/genesys-stream"});
    ASSERT_EQ(by_keyword["HEALTHCHECK"].size(), 1u);
    EXPECT_NE(by_keyword["HEALTHCHECK"][0].find(" CMD curl -fsS http://127.0.0.1:9598/healthz "),
              std::string::npos)
        << by_keyword["HEALTHCHECK"][0];
    EXPECT_NE(by_keyword["RUN"].at(0).find("apt-get install -y --no-install-recommends "
                                           "/tmp/genesys-stream.deb curl"),
              std::string::npos);

    // The entry point is the installed binary; the configuration it names is copied in, and it
    // matches the volume and the health check's port.
    EXPECT_EQ(by_keyword["ENTRYPOINT"], std::vector<std::string>{R"(["/usr/bin/genesys-stream"])"});
    EXPECT_TRUE(fs::exists(root + "/usr/bin/genesys-stream"));
    EXPECT_EQ(by_keyword["CMD"], std::vector<std::string>{
                                     R"(["run", "--config", "/etc/genesys-stream/config.yaml"])"});
    EXPECT_TRUE(copied_to.contains("/etc/genesys-stream/config.yaml"));
    const std::string config = GSTREAM_SOURCE_DIR + "/deploy/container/config.yaml";
    const std::string text = read_file(config);
    EXPECT_NE(text.find("\n  listen: 0.0.0.0:9598\n"), std::string::npos);
    EXPECT_NE(text.find("\ndata_dir: /var/lib/genesys-stream\n"), std::string::npos);
    const auto [cc_code, cc_out] = run_shell(
        kPackagedCredentials + root + "/usr/bin/genesys-stream check-config " + config + " 2>&1");
    EXPECT_EQ(cc_code, 0) << cc_out;
    EXPECT_EQ(cc_out.substr(0, cc_out.find('\n')), config + ": ok");
}

}  // namespace
}  // namespace gstream::testing
