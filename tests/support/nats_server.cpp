#include "support/nats_server.hpp"

#include <nats/nats.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace gstream::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Handles {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    ~Handles() {
        if (js != nullptr) {
            jsCtx_Destroy(js);
        }
        if (nc != nullptr) {
            natsConnection_Destroy(nc);
        }
    }
};

bool open(Handles& h, const std::string& url, const std::string& token,
          const std::string& tls_ca_file = "") {
    natsOptions* opts = nullptr;
    if (natsOptions_Create(&opts) != NATS_OK) {
        return false;
    }
    natsStatus s = natsOptions_SetURL(opts, url.c_str());
    if (s == NATS_OK && !tls_ca_file.empty()) {
        s = natsOptions_SetSecure(opts, true);
        if (s == NATS_OK) {
            s = natsOptions_LoadCATrustedCertificates(opts, tls_ca_file.c_str());
        }
    }
    if (s == NATS_OK && !token.empty()) {
        s = natsOptions_SetToken(opts, token.c_str());
    }
    if (s == NATS_OK) {
        s = natsOptions_SetAllowReconnect(opts, false);
    }
    if (s == NATS_OK) {
        s = natsConnection_Connect(&h.nc, opts);
    }
    natsOptions_Destroy(opts);
    if (s == NATS_OK) {
        s = natsConnection_JetStream(&h.js, h.nc, nullptr);
    }
    return s == NATS_OK;
}

/// nats-server from PATH, else where Debian installs it (/usr/sbin).
std::string nats_server_path() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "";
    dirs += ":/usr/sbin:/usr/bin";
    for (std::size_t at = 0; at <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', at), dirs.size());
        const std::string candidate = dirs.substr(at, end - at) + "/nats-server";
        std::error_code ec;
        if (end > at && std::filesystem::is_regular_file(candidate, ec)) {
            return candidate;
        }
        at = end + 1;
    }
    return "/usr/sbin/nats-server";
}

}  // namespace

NatsServer::NatsServer(std::string dir, std::vector<std::string> extra_args,
                       std::string connect_token, std::string tls_ca_file)
    : dir_(std::move(dir))
    , extra_args_(std::move(extra_args))
    , token_(std::move(connect_token))
    , tls_ca_file_(std::move(tls_ca_file)) {
    std::filesystem::create_directories(dir_);
    if (!start()) {
        ADD_FAILURE() << "nats-server did not start (port " << port_ << "):\n"
                      << read_file(dir_ + fmt::format("/nats-server-{}.log", starts_))
                      << read_file(dir_ + fmt::format("/nats-server-{}.err", starts_));
    }
}

NatsServer::~NatsServer() {
    stop(true);
}

void NatsServer::stop(bool kill) {
    if (process_ == nullptr) {
        return;
    }
    process_->signal(SIGCONT);  // a stopped (SIGSTOP) server cannot act on SIGTERM
    process_->signal(kill ? SIGKILL : SIGTERM);
    process_->wait(30s);
    process_.reset();
}

void NatsServer::signal(int signo) {
    if (process_ == nullptr) {
        return;
    }
    process_->signal(signo);
    if (signo != SIGSTOP) {
        return;
    }
    // The state is the field after the parenthesised command name.
    const std::string stat_path = fmt::format("/proc/{}/stat", process_->pid());
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        const std::string stat = read_file(stat_path);
        const std::size_t close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'T') {
            return;
        }
        std::this_thread::sleep_for(1ms);
    }
    ADD_FAILURE() << "nats-server did not stop on SIGSTOP";
}

bool NatsServer::start() {
    stop(true);
    ++starts_;
    // The first start lets the server pick a free port (-p -1) and write it to its ports file;
    // later starts take the same port again (nats-server listens with SO_REUSEADDR).
    const std::string log = dir_ + fmt::format("/nats-server-{}.log", starts_);
    std::vector<std::string> argv{nats_server_path(), "-js", "-a", "127.0.0.1", "-p",
                                  std::to_string(port_), "-sd", dir_ + "/store",
                                  "--ports_file_dir", dir_, "-l", log};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    process_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{},
                                              dir_ + fmt::format("/nats-server-{}.err", starts_));
    if (port_ < 0) {
        const std::string ports = fmt::format("{}/nats-server_{}.ports", dir_, process_->pid());
        const auto deadline = Clock::now() + 30s;
        while (port_ < 0 && Clock::now() < deadline) {
            const std::string text = read_file(ports);
            boost::system::error_code ec;
            const boost::json::value v = boost::json::parse(text, ec);
            if (!ec && v.is_object() && v.as_object().contains("nats")) {
                const std::string u(v.at("nats").as_array().at(0).as_string());
                port_ = std::atoi(u.substr(u.rfind(':') + 1).c_str());
            } else if (process_->wait(0ms)) {
                return false;  // exited
            } else {
                std::this_thread::sleep_for(5ms);
            }
        }
        if (port_ < 0) {
            return false;
        }
    }
    url_ = tls_ca_file_.empty() ? fmt::format("nats://127.0.0.1:{}", port_)
                                : fmt::format("tls://localhost:{}", port_);
    return wait_ready();
}

bool NatsServer::wait_ready() {
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        Handles h;
        if (open(h, url_, token_, tls_ca_file_)) {
            // JetStream answers too (it recovers its streams before the port opens, but check).
            jsAccountInfo* info = nullptr;
            if (js_GetAccountInfo(&info, h.js, nullptr, nullptr) == NATS_OK) {
                jsAccountInfo_Destroy(info);
                return true;
            }
        }
        if (process_->wait(0ms)) {
            return false;  // exited
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

std::optional<std::vector<StoredMessage>> read_stream(const std::string& url,
                                                      const std::string& stream,
                                                      const std::string& token) {
    Handles h;
    if (!open(h, url, token)) {
        return std::nullopt;
    }
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, h.js, stream.c_str(), nullptr, nullptr) != NATS_OK) {
        return std::nullopt;
    }
    const std::uint64_t first = info->State.FirstSeq;
    const std::uint64_t last = info->State.LastSeq;
    const std::uint64_t count = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    std::vector<StoredMessage> out;
    for (std::uint64_t seq = first; count > 0 && seq <= last; ++seq) {
        natsMsg* m = nullptr;
        if (js_GetMsg(&m, h.js, stream.c_str(), seq, nullptr, nullptr) != NATS_OK) {
            return std::nullopt;
        }
        StoredMessage s;
        s.sequence = seq;
        s.subject = natsMsg_GetSubject(m);
        s.data.assign(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
        const char** keys = nullptr;
        int n = 0;
        if (natsMsgHeader_Keys(m, &keys, &n) == NATS_OK) {
            for (int i = 0; i < n; ++i) {
                const char* value = nullptr;
                if (natsMsgHeader_Get(m, keys[i], &value) == NATS_OK) {
                    s.headers[keys[i]] = value;
                }
            }
            free(static_cast<void*>(keys));
        }
        natsMsg_Destroy(m);
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<std::uint64_t> stream_messages(const std::string& url, const std::string& stream) {
    Handles h;
    if (!open(h, url, "")) {
        return std::nullopt;
    }
    jsStreamInfo* info = nullptr;
    if (js_GetStreamInfo(&info, h.js, stream.c_str(), nullptr, nullptr) != NATS_OK) {
        return std::nullopt;
    }
    const std::uint64_t n = info->State.Msgs;
    jsStreamInfo_Destroy(info);
    return n;
}

bool create_stream(const std::string& url, const std::string& name,
                   const std::vector<std::string>& subjects, std::int64_t max_msg_size) {
    Handles h;
    if (!open(h, url, "")) {
        return false;
    }
    std::vector<const char*> subs;
    for (const std::string& s : subjects) {
        subs.push_back(s.c_str());
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    cfg.Subjects = subs.data();
    cfg.SubjectsLen = static_cast<int>(subs.size());
    cfg.Storage = js_FileStorage;
    cfg.MaxMsgSize = static_cast<std::int32_t>(max_msg_size);
    jsStreamInfo* info = nullptr;
    const natsStatus s = js_AddStream(&info, h.js, &cfg, nullptr, nullptr);
    if (info != nullptr) {
        jsStreamInfo_Destroy(info);
    }
    return s == NATS_OK;
}

}  // namespace gstream::testing
