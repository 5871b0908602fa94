#include "support/integration.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include "support/test_paths.hpp"

namespace gstream::testing {

EmulatorProcess start_emulator(const std::vector<std::string>& args, const std::string& log_path) {
    std::vector<std::string> argv{GSTREAM_BINARY, "emulate", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    EmulatorProcess e;
    e.process = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{}, log_path);
    const auto line = e.process->wait_for_line("listening ", std::chrono::seconds(30));
    if (!line) {
        throw std::runtime_error("emulator did not print 'listening': " + read_file(log_path));
    }
    e.address = line->substr(std::string("listening ").size());
    return e;
}

std::optional<Summary> parse_summary(const std::string& line) {
    if (line.rfind("summary:", 0) != 0) {
        return std::nullopt;
    }
    Summary s;
    std::istringstream in(line.substr(8));
    std::string field;
    while (in >> field) {
        const auto eq = field.find('=');
        if (eq != std::string::npos) {
            s.counts[field.substr(0, eq)] = std::stoll(field.substr(eq + 1));
        }
    }
    return s;
}

RunResult run_consumer(const std::string& config_path, const std::string& log_path,
                       std::chrono::seconds timeout, const std::vector<std::string>& extra_args,
                       const std::string& binary) {
    std::vector<std::string> argv{binary.empty() ? GSTREAM_BINARY : binary, "run", "--config",
                                  config_path};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    ChildProcess consumer(argv, {}, log_path);
    RunResult r;
    r.stdout_lines = consumer.read_all(timeout);
    r.exit_code = consumer.wait(std::chrono::seconds(10)).value_or(-1);
    // The summary is on stderr (stdout is for data), in the log file.
    r.log = read_file(log_path);
    std::istringstream log(r.log);
    for (std::string line; std::getline(log, line);) {
        if (auto s = parse_summary(line)) {
            r.summary = s;
        }
    }
    return r;
}

std::optional<HttpResponse> http_get(const std::string& host_port, const std::string& path) {
    const auto colon = host_port.rfind(':');
    const std::string host = host_port.substr(0, colon);
    const int port = std::stoi(host_port.substr(colon + 1));
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return std::nullopt;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string request =
        "GET " + path + " HTTP/1.0\r\nHost: " + host_port + "\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        ::close(fd);
        return std::nullopt;
    }
    std::string response;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        response.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    HttpResponse out;
    if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) {
        return std::nullopt;
    }
    out.status = std::stoi(response.substr(9, 3));
    const auto body = response.find("\r\n\r\n");
    if (body != std::string::npos) {
        out.body = response.substr(body + 4);
    }
    return out;
}

std::pair<int, std::string> run_shell(const std::string& command, const std::string& input) {
    TempDir dir;
    const std::string in_path = dir.file("stdin");
    write_file(in_path, input);
    const std::string full = command + " < " + in_path + " 2>&1";
    FILE* pipe = ::popen(full.c_str(), "r");
    if (pipe == nullptr) {
        return {-1, "popen failed"};
    }
    std::string output;
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
        output.append(buf, n);
    }
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string shared_path(const std::string& relative) {
    const std::filesystem::path p = std::filesystem::path(GSTREAM_SHARED_DIR) / relative;
    return std::filesystem::exists(p) ? p.string() : std::string();
}

bool json_equal(const core::JsonValue& a, const core::JsonValue& b) {
    if (!a.valid() || !b.valid()) {
        return a.valid() == b.valid();
    }
    if (a.is_number() && b.is_number()) {
        if (a.type() == core::JsonType::kInteger && b.type() == core::JsonType::kInteger) {
            return a.get_int64() == b.get_int64();
        }
        if (a.type() == core::JsonType::kBigInteger || b.type() == core::JsonType::kBigInteger) {
            return a.raw() == b.raw();
        }
        return a.get_double() == b.get_double();
    }
    if (a.type() != b.type()) {
        return false;
    }
    switch (a.type()) {
        case core::JsonType::kString: return a.get_string() == b.get_string();
        case core::JsonType::kArray: {
            if (a.size() != b.size()) {
                return false;
            }
            std::vector<core::JsonValue> left, right;
            a.for_each_element([&](const core::JsonValue& v) { left.push_back(v); });
            b.for_each_element([&](const core::JsonValue& v) { right.push_back(v); });
            for (std::size_t i = 0; i < left.size(); ++i) {
                if (!json_equal(left[i], right[i])) {
                    return false;
                }
            }
            return true;
        }
        case core::JsonType::kObject: {
            if (a.size() != b.size()) {
                return false;
            }
            bool equal = true;
            a.for_each_member([&](std::string_view key, const core::JsonValue& v) {
                equal = equal && json_equal(v, b.find(key));
            });
            return equal;
        }
        default: return true;  // null, true, false: same type is same value
    }
}

}  // namespace gstream::testing
