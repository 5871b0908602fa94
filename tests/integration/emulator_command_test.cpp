// `genesys-stream emulate` option handling, in process (the server itself is covered by
// emulator_test.cpp).

#include <algorithm>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "emulator/emulate_command.hpp"

namespace gstream::emulator {
namespace {

int parse(std::vector<std::string> args) {
    CLI::App app{"genesys-stream"};
    register_emulate_command(app);
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector reversed
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        return e.get_exit_code();
    }
    return 0;
}

TEST(EmulateCommandTest, BadOptionValuesExitWithCode2) {
    EXPECT_EQ(parse({"emulate", "--protocol", "bogus"}), 2);
    EXPECT_EQ(parse({"emulate", "--replay", "/nonexistent/replay.jsonl"}), 2);
    EXPECT_EQ(parse({"emulate", "--drop-mode", "sometimes"}), 2);
    EXPECT_EQ(parse({"emulate", "--listen", "127.0.0.1:99999"}), 2);
}

TEST(EmulateCommandTest, UnknownFlagIsAParseError) {
    EXPECT_NE(parse({"emulate", "--no-such-flag"}), 0);
    EXPECT_NE(parse({"emulate", "--events", "many"}), 0);
}

}  // namespace
}  // namespace gstream::emulator
