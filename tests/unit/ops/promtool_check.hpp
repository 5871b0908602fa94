#pragma once
// Runs `promtool check metrics` on exposition text (stdin), for the metrics and admin tests.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

namespace gstream::test {

struct PromtoolResult {
    int exit_code = -1;
    std::string output;  ///< stdout and stderr together; empty when the text is clean
};

inline PromtoolResult promtool_check_metrics(const std::string& text) {
    const auto file = std::filesystem::temp_directory_path() /
                      ("gstream-promtool-" + std::to_string(::getpid()) + ".txt");
    {
        std::ofstream out(file, std::ios::binary);
        out << text;
    }
    const std::string command = "/usr/bin/promtool check metrics < '" + file.string() + "' 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("popen failed for: " + command);
    }
    PromtoolResult result;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.output.append(buffer.data(), n);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::filesystem::remove(file);
    return result;
}

}  // namespace gstream::test
