#pragma once
// A child process for integration tests: argv, environment additions, stdout read line by line
// with a deadline, stderr to a file, exit code. No sleeps: reads block with poll() deadlines.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gstream::testing {

class ChildProcess {
public:
    ChildProcess(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
                 std::string stderr_path = "/dev/null");
    ~ChildProcess();  // SIGKILL if still running
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    /// The next stdout line (without '\n'), or nullopt at EOF or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Reads lines until one starts with `prefix`; returns it, or nullopt.
    std::optional<std::string> wait_for_line(const std::string& prefix,
                                             std::chrono::milliseconds timeout);
    /// The first line of the child's stderr file (from the start of this child's run) that
    /// starts with `prefix`: the daemon's status lines (`admin listening ...`, `summary: ...`)
    /// go to stderr, stdout being for data. Polls the file until `timeout` (or the child's exit
    /// with no such line); nullopt then. Each call continues after the last line it returned.
    std::optional<std::string> wait_for_log_line(const std::string& prefix,
                                                 std::chrono::milliseconds timeout);
    /// Every remaining stdout line until EOF (or timeout).
    std::vector<std::string> read_all(std::chrono::milliseconds timeout);
    /// Waits for exit; returns the exit code (128+signal when killed), nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    void signal(int signo);
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;
    std::string stderr_path_;
    std::size_t log_offset_ = 0;  // wait_for_log_line(): bytes of the stderr file consumed
    std::optional<int> status_;
};

/// Reads a whole file ("" when absent).
std::string read_file(const std::string& path);
/// The lines of a file, without '\n'.
std::vector<std::string> read_lines(const std::string& path);
/// A fresh temporary folder, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace gstream::testing
