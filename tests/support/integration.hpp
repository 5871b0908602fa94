#pragma once
// Helpers for integration tests that run the real binary: the emulator and the consumer as child
// processes on loopback, a config file in a temp dir, the summary line parsed.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json_document.hpp"
#include "support/child_process.hpp"

namespace gstream::testing {

/// `genesys-stream emulate --listen 127.0.0.1:0 ARGS...`, started and ready.
struct EmulatorProcess {
    std::unique_ptr<ChildProcess> process;
    std::string address;  ///< "127.0.0.1:PORT"
    std::string origin() const { return "http://" + address; }
};
EmulatorProcess start_emulator(const std::vector<std::string>& args, const std::string& log_path);

/// The consumer's counts from its summary line.
struct Summary {
    std::map<std::string, long long> counts;
    long long operator[](const std::string& key) const {
        const auto it = counts.find(key);
        return it == counts.end() ? -1 : it->second;
    }
};
std::optional<Summary> parse_summary(const std::string& line);

/// Result of `genesys-stream run --config FILE --once`.
struct RunResult {
    int exit_code = -1;
    std::vector<std::string> stdout_lines;
    std::optional<Summary> summary;
    std::string log;  ///< stderr
};
/// `binary` (default: the built one) runs instead, e.g. a copy installed from the package.
RunResult run_consumer(const std::string& config_path, const std::string& log_path,
                       std::chrono::seconds timeout = std::chrono::seconds(120),
                       const std::vector<std::string>& extra_args = {"--once"},
                       const std::string& binary = "");

/// A GET over a plain TCP socket (HTTP/1.0); returns status and body, nullopt on failure.
struct HttpResponse {
    int status = 0;
    std::string body;
};
std::optional<HttpResponse> http_get(const std::string& host_port, const std::string& path);

/// Runs a shell command, feeding `input` on stdin; returns exit code and combined output.
std::pair<int, std::string> run_shell(const std::string& command, const std::string& input = "");

/// Writes `text` to `path`.
void write_file(const std::string& path, const std::string& text);

/// The path of a file in ../shared, or "" when the shared folder is absent.
std::string shared_path(const std::string& relative);

/// JSON value equality: objects unordered, numbers by value (integers exactly), strings unescaped.
bool json_equal(const core::JsonValue& a, const core::JsonValue& b);

}  // namespace gstream::testing
