#include "sink/nats/nats_config.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "sink/nats/nats_formatter.hpp"
#include "sink/sink_settings.hpp"

namespace gstream::sink::nats {
namespace {

std::string object_string(const boost::json::object& o, std::string_view key) {
    const boost::json::value* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t object_int(const boost::json::object& o, std::string_view key, std::int64_t fallback) {
    const boost::json::value* v = o.if_contains(key);
    return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

const boost::json::object* object_at(const config::SinkConfig& sink, std::string_view key) {
    if (sink.settings == nullptr) {
        return nullptr;
    }
    const boost::json::value* v = sink.settings->if_contains(key);
    return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}

bool readable(const std::string& path) {
    return ::access(path.c_str(), R_OK) == 0;
}

}  // namespace

bool NatsSinkConfig::secure() const {
    if (tls) {
        return true;
    }
    for (const std::string& s : servers) {
        if (s.starts_with("tls://")) {
            return true;
        }
    }
    return false;
}

NatsSinkConfig read_nats_config(const config::SinkConfig& sink) {
    NatsSinkConfig c;
    c.name = sink.name.empty() ? std::string("nats") : sink.name;
    c.line = sink.line;
    c.servers = setting_strings(sink, "servers");
    c.subject = setting_string(sink, "subject", c.subject);
    c.stream = setting_string(sink, "stream");
    if (const boost::json::object* cs = object_at(sink, "create_stream")) {
        CreateStreamConfig s;
        if (const boost::json::value* subjects = cs->if_contains("subjects");
            subjects != nullptr && subjects->is_array()) {
            for (const boost::json::value& v : subjects->get_array()) {
                if (v.is_string()) {
                    s.subjects.emplace_back(v.get_string());
                }
            }
        }
        s.memory_storage = object_string(*cs, "storage") == "memory";
        s.duplicate_window_ms = object_int(*cs, "duplicate_window_ms", s.duplicate_window_ms);
        s.replicas = object_int(*cs, "replicas", s.replicas);
        c.create_stream = std::move(s);
    }
    c.creds_file = setting_string(sink, "creds_file");
    c.nkey = setting_string(sink, "nkey");
    c.nkey_seed_file = setting_string(sink, "nkey_seed_file");
    c.token = setting_string(sink, "token");
    c.user = setting_string(sink, "user");
    c.password = setting_string(sink, "password");
    if (const boost::json::object* tls = object_at(sink, "tls")) {
        c.tls = TlsConfig{object_string(*tls, "ca_file"), object_string(*tls, "cert_file"),
                          object_string(*tls, "key_file"), object_string(*tls, "server_name")};
    }
    c.format = format::parse_format(setting_string(sink, "format", "native"))
                   .value_or(format::Format::kNative);
    c.max_in_flight = setting_int(sink, "max_in_flight", c.max_in_flight);
    c.ack_timeout_ms = setting_int(sink, "ack_timeout_ms", c.ack_timeout_ms);
    c.connect_timeout_ms = setting_int(sink, "connect_timeout_ms", c.connect_timeout_ms);
    return c;
}

std::string check_nats_config(const NatsSinkConfig& c) {
    const std::string who =
        c.line > 0 ? fmt::format("sink '{}' (line {})", c.name, c.line) : fmt::format("sink '{}'", c.name);
    if (c.servers.empty()) {
        return who + ": servers: name at least one server (nats://host:port)";
    }
    for (const std::string& s : c.servers) {
        const std::size_t scheme = s.find("://");
        if (scheme != std::string::npos && !s.starts_with("nats://") && !s.starts_with("tls://")) {
            return fmt::format("{}: servers: '{}' is not a NATS URL (nats://host:port or "
                               "tls://host:port)",
                               who, s);
        }
    }
    std::string error;
    const std::optional<SubjectTemplate> subject = SubjectTemplate::parse(c.subject, error);
    if (!subject) {
        return fmt::format("{}: subject '{}': {}", who, c.subject, error);
    }
    if (c.stream.empty() ||
        c.stream.find_first_of(std::string_view(" \t\r\n.*>/\\\0", 11)) != std::string::npos) {
        return fmt::format("{}: stream '{}': a stream name cannot be empty or hold whitespace, "
                           "'.', '*', '>', '/' or '\\'",
                           who, c.stream);
    }
    if (c.create_stream) {
        const std::string w = subject->wildcard();
        bool covered = false;
        for (const std::string& f : c.create_stream->subjects) {
            covered = covered || subject_covers(f, w);
        }
        if (!covered) {
            return fmt::format("{}: create_stream.subjects: none covers the subject '{}' (as '{}'); "
                               "add '{}' or a wildcard above it",
                               who, c.subject, w, w);
        }
    }
    const int methods = (c.creds_file.empty() ? 0 : 1) + (c.nkey_seed_file.empty() ? 0 : 1) +
                        (c.token.empty() ? 0 : 1) + (c.user.empty() ? 0 : 1);
    if (methods > 1) {
        return who + ": set only one of creds_file, nkey_seed_file, token, user";
    }
    if (c.nkey.empty() != c.nkey_seed_file.empty()) {
        return who + ": nkey and nkey_seed_file go together (the public key and its seed)";
    }
    if (!c.password.empty() && c.user.empty()) {
        return who + ": password needs user";
    }
    for (const auto& [key, path] :
         {std::pair<std::string_view, const std::string*>{"creds_file", &c.creds_file},
          {"nkey_seed_file", &c.nkey_seed_file}}) {
        if (!path->empty() && !readable(*path)) {
            return fmt::format("{}: {}: cannot read '{}'", who, key, *path);
        }
    }
    if (c.tls) {
        for (const auto& [key, path] :
             {std::pair<std::string_view, const std::string*>{"tls.ca_file", &c.tls->ca_file},
              {"tls.cert_file", &c.tls->cert_file},
              {"tls.key_file", &c.tls->key_file}}) {
            if (!path->empty() && !readable(*path)) {
                return fmt::format("{}: {}: cannot read '{}'", who, key, *path);
            }
        }
        if (c.tls->cert_file.empty() != c.tls->key_file.empty()) {
            return who + ": tls: cert_file and key_file go together (mutual TLS)";
        }
    }
    return {};
}

}  // namespace gstream::sink::nats
