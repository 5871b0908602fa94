#include "config/config_loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <yaml-cpp/yaml.h>

#include "genesys/region.hpp"
#include "source/notifications/topic_plan.hpp"
#include "core/shipped_schemas.hpp"

namespace gstream::config {
namespace {

struct Pos {
    int line = 1;
    int column = 1;
};

Pos pos_of(const YAML::Mark& mark) {
    if (mark.line < 0 || mark.column < 0) {
        return Pos{};
    }
    return Pos{mark.line + 1, mark.column + 1};
}

// The YAML tree after ${ENV} substitution, not yet typed.
struct RawMember;
struct RawNode {
    enum class Kind { kNull, kScalar, kSequence, kMap };
    Kind kind = Kind::kNull;
    bool quoted = false;  // a quoted (or !!str) scalar: always a string
    std::string text;
    Pos pos;
    std::vector<RawMember> members;
    std::vector<RawNode> items;
};

struct RawMember {
    std::string key;
    Pos key_pos;
    RawNode value;
};

// A validated, typed value with the schema's defaults applied.
struct Value {
    enum class Kind { kBool, kInt, kNumber, kString, kArray, kObject };
    Kind kind = Kind::kObject;
    Pos pos;
    bool b = false;
    std::int64_t i = 0;
    double d = 0;
    std::string s;
    std::vector<std::pair<std::string, Value>> members;
    std::vector<Value> items;

    const Value* find(std::string_view key) const {
        for (const auto& [name, value] : members) {
            if (name == key) {
                return &value;
            }
        }
        return nullptr;
    }
};

std::string join_path(const std::string& prefix, std::string_view key) {
    return prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) {
            out += sep;
        }
        out += item;
    }
    return out;
}

std::string quoted_list(const std::vector<std::string>& items) {
    std::vector<std::string> q;
    for (const std::string& item : items) {
        q.push_back("'" + item + "'");
    }
    return join(q, ", ");
}

bool is_null_text(std::string_view t) {
    return t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL";
}

std::optional<bool> parse_bool(std::string_view t) {
    if (t == "true" || t == "True" || t == "TRUE") {
        return true;
    }
    if (t == "false" || t == "False" || t == "FALSE") {
        return false;
    }
    return std::nullopt;
}

enum class IntParse { kOk, kNotInteger, kOutOfRange };

IntParse parse_int(std::string_view t, std::int64_t& out) {
    if (!t.empty() && t.front() == '+') {
        t.remove_prefix(1);
    }
    if (t.empty() || (t.size() > 1 && t.front() == '-' && t[1] == '+')) {
        return IntParse::kNotInteger;
    }
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    if (ptr != t.data() + t.size()) {
        return IntParse::kNotInteger;
    }
    if (ec == std::errc::result_out_of_range) {
        return IntParse::kOutOfRange;
    }
    return ec == std::errc() ? IntParse::kOk : IntParse::kNotInteger;
}

bool parse_number(std::string_view t, double& out) {
    if (t.empty() || t.front() == ' ') {
        return false;
    }
    const std::string s(t);
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && s.find_first_of("xXnNiI") == std::string::npos;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string check_format(const std::string& format, const std::string& v) {
    if (format == "genesys-region") {
        if (genesys::find_region(v)) {
            return {};
        }
        return "unknown region '" + v + "'; use one of: " + genesys::region_names() +
               " (or the region's domain, e.g. mypurecloud.com)";
    }
    if (format == "http-origin") {
        const std::string bad =
            "expected http://host[:port] or https://host[:port] with no path, got '" + v + "'";
        const auto r = boost::urls::parse_uri(v);
        if (!r) {
            return bad;
        }
        const boost::urls::url_view& u = *r;
        const bool http = u.scheme_id() == boost::urls::scheme::http ||
                          u.scheme_id() == boost::urls::scheme::https;
        if (!http || !u.has_authority() || u.encoded_host().empty() || u.has_userinfo() ||
            !(u.encoded_path().empty() || u.encoded_path() == "/") || u.has_query() ||
            u.has_fragment() || (u.has_port() && u.port().empty())) {
            return bad;
        }
        return {};
    }
    if (format == "websocket-url") {
        const std::string bad = "expected a ws:// or wss:// URL, got '" + v + "'";
        const auto r = boost::urls::parse_uri(v);
        if (!r) {
            return bad;
        }
        const boost::urls::url_view& u = *r;
        const bool ws =
            u.scheme_id() == boost::urls::scheme::ws || u.scheme_id() == boost::urls::scheme::wss;
        if (!ws || !u.has_authority() || u.encoded_host().empty() || u.has_userinfo() ||
            u.has_fragment() || (u.has_port() && u.port().empty())) {
            return bad;
        }
        return {};
    }
    if (format == "json-pointer") {
        if (v.empty() || v.front() != '/') {
            return "expected an RFC 6901 JSON pointer starting with '/' (e.g. /data/queueId), got "
                   "'" +
                   v + "'";
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i] == '~' && (i + 1 >= v.size() || (v[i + 1] != '0' && v[i + 1] != '1'))) {
                return "bad JSON pointer '" + v +
                       "': '~' must be followed by 0 or 1 (write ~0 for '~', ~1 for '/')";
            }
        }
        return {};
    }
    if (format == "sink-name") {
        const auto ok = [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        };
        bool good = !v.empty() && v.size() <= 64 && ok(v.front());
        for (const char c : v) {
            good = good && (ok(c) || c == '_' || c == '-' || c == '.');
        }
        return good ? std::string()
                    : "expected a name of letters, digits, '_', '-' and '.' (at most 64, starting "
                      "with a letter or digit), got '" +
                          v + "'";
    }
    if (format == "host-port") {
        const std::string bad =
            "expected HOST:PORT (e.g. 127.0.0.1:9464, port 0 = any), got '" + v + "'";
        const std::size_t colon = v.rfind(':');
        if (colon == std::string::npos || colon == 0 || v.find(' ') != std::string::npos) {
            return bad;
        }
        const std::string host = v.substr(0, colon);
        const std::string port = v.substr(colon + 1);
        if (host.front() == '[' ? host.back() != ']' || host.size() < 3
                                : host.find(':') != std::string::npos) {
            return bad;
        }
        std::int64_t n = 0;
        if (port.empty() || port.front() == '+' || port.front() == '-' ||
            parse_int(port, n) != IntParse::kOk || n > 65535) {
            return bad;
        }
        return {};
    }
    return {};
}

class Loader {
public:
    Loader(std::string file, const EnvLookup& env)
        : file_(std::move(file))
        , env_(env) {}

    std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

    void error(Pos pos, const std::string& key, std::string message) {
        diagnostics_.push_back(Diagnostic{file_, pos.line, pos.column, key, std::move(message)});
    }

    // ---- YAML -> RawNode, with ${ENV} substitution -------------------------------------------

    RawNode from_yaml(const YAML::Node& node, const std::string& path) {
        RawNode raw;
        raw.pos = pos_of(node.Mark());
        switch (node.Type()) {
            case YAML::NodeType::Scalar: {
                raw.kind = RawNode::Kind::kScalar;
                raw.quoted = node.Tag() != "?";
                EnvSubstitution sub = substitute_env(node.Scalar(), env_);
                if (!sub.ok()) {
                    error(raw.pos, path, sub.error);
                    raw.kind = RawNode::Kind::kNull;
                    raw.text = node.Scalar();
                    break;
                }
                raw.text = std::move(sub.text);
                if (sub.changed && !raw.quoted && is_null_text(raw.text)) {
                    raw.kind = RawNode::Kind::kNull;
                }
                break;
            }
            case YAML::NodeType::Sequence: {
                raw.kind = RawNode::Kind::kSequence;
                std::size_t index = 0;
                for (const YAML::Node& item : node) {
                    raw.items.push_back(
                        from_yaml(item, path + "[" + std::to_string(index++) + "]"));
                }
                break;
            }
            case YAML::NodeType::Map: {
                raw.kind = RawNode::Kind::kMap;
                for (auto it = node.begin(); it != node.end(); ++it) {
                    RawMember member;
                    member.key_pos = pos_of(it->first.Mark());
                    if (!it->first.IsScalar()) {
                        error(member.key_pos, path, "keys must be plain names");
                        continue;
                    }
                    member.key = it->first.Scalar();
                    member.value = from_yaml(it->second, join_path(path, member.key));
                    if (it->second.IsNull()) {
                        // yaml-cpp marks an empty value at the start of the next line.
                        member.value.pos = member.key_pos;
                    }
                    raw.members.push_back(std::move(member));
                }
                break;
            }
            case YAML::NodeType::Null:
            case YAML::NodeType::Undefined:
                break;
        }
        return raw;
    }

    static RawNode from_json(core::JsonValue json, Pos pos) {
        RawNode raw;
        raw.pos = pos;
        switch (json.type()) {
            case core::JsonType::kString:
                raw.kind = RawNode::Kind::kScalar;
                raw.quoted = true;
                raw.text = std::string(json.get_string());
                break;
            case core::JsonType::kArray:
                raw.kind = RawNode::Kind::kSequence;
                json.for_each_element(
                    [&](core::JsonValue e) { raw.items.push_back(from_json(e, pos)); });
                break;
            case core::JsonType::kObject:
                raw.kind = RawNode::Kind::kMap;
                json.for_each_member([&](std::string_view key, core::JsonValue e) {
                    raw.members.push_back(RawMember{std::string(key), pos, from_json(e, pos)});
                });
                break;
            case core::JsonType::kNull:
            case core::JsonType::kKey:
                break;
            default:
                raw.kind = RawNode::Kind::kScalar;
                raw.text = std::string(json.raw());
                break;
        }
        return raw;
    }

    // ---- RawNode x schema -> Value
    // ---------------------------------------------------------------

    static std::string describe(const RawNode& raw, const SchemaNode& schema) {
        switch (raw.kind) {
            case RawNode::Kind::kNull:
                return "null";
            case RawNode::Kind::kMap:
                return "an object";
            case RawNode::Kind::kSequence:
                return "an array";
            case RawNode::Kind::kScalar:
                break;
        }
        std::string text = schema.write_only ? std::string("***") : raw.text;
        if (text.size() > 60) {
            text = text.substr(0, 57) + "...";
        }
        if (!raw.quoted) {
            std::int64_t i = 0;
            double d = 0;
            if (parse_bool(raw.text)) {
                return "boolean " + text;
            }
            if (parse_int(raw.text, i) != IntParse::kNotInteger) {
                return "integer " + text;
            }
            if (parse_number(raw.text, d)) {
                return "number " + text;
            }
        }
        return "string '" + text + "'";
    }

    std::optional<Value> check(const RawNode& raw,
                               const SchemaNode& schema,
                               const std::string& path) {
        if (!schema.discriminator_values.empty()) {
            return check_discriminated(raw, schema, path);
        }
        const std::string& type = schema.type;
        if (type == "object") {
            return check_object(raw, schema, path);
        }
        if (type == "array") {
            return check_array(raw, schema, path);
        }
        if (raw.kind != RawNode::Kind::kScalar) {
            error(raw.pos, path, "expected " + type + ", got " + describe(raw, schema));
            return std::nullopt;
        }
        Value v;
        v.pos = raw.pos;
        if (type == "string") {
            v.kind = Value::Kind::kString;
            v.s = raw.text;
        } else if (type == "boolean") {
            const auto b = raw.quoted ? std::nullopt : parse_bool(raw.text);
            if (!b) {
                const bool hint = raw.quoted && parse_bool(raw.text);
                error(raw.pos, path,
                      "expected boolean (true or false), got " + describe(raw, schema) +
                          (hint ? " (remove the quotes)" : ""));
                return std::nullopt;
            }
            v.kind = Value::Kind::kBool;
            v.b = *b;
        } else if (type == "integer") {
            const IntParse p = parse_int(raw.text, v.i);
            if (raw.quoted || p != IntParse::kOk) {
                std::string message;
                if (!raw.quoted && p == IntParse::kOutOfRange) {
                    message = "integer " + raw.text + " is out of range";
                } else {
                    message = "expected integer, got " + describe(raw, schema);
                    if (raw.quoted && p == IntParse::kOk) {
                        message += " (remove the quotes)";
                    }
                }
                error(raw.pos, path, message);
                return std::nullopt;
            }
            v.kind = Value::Kind::kInt;
            v.d = static_cast<double>(v.i);
        } else if (type == "number") {
            if (raw.quoted || !parse_number(raw.text, v.d)) {
                error(raw.pos, path, "expected number, got " + describe(raw, schema));
                return std::nullopt;
            }
            v.kind = Value::Kind::kNumber;
        }
        if (!check_scalar_rules(v, raw, schema, path)) {
            return std::nullopt;
        }
        return v;
    }

    bool check_scalar_rules(const Value& v,
                            const RawNode& raw,
                            const SchemaNode& schema,
                            const std::string& path) {
        const std::string shown = schema.write_only ? std::string("***") : raw.text;
        if (!schema.enum_values.empty()) {
            const std::string text = v.kind == Value::Kind::kString ? v.s : raw.text;
            if (std::find(schema.enum_values.begin(), schema.enum_values.end(), text) ==
                schema.enum_values.end()) {
                error(raw.pos, path,
                      "'" + shown + "' is not one of: " + join(schema.enum_values, ", "));
                return false;
            }
        }
        if (v.kind == Value::Kind::kInt || v.kind == Value::Kind::kNumber) {
            if (schema.minimum && v.d < *schema.minimum) {
                error(raw.pos, path, shown + " is below the minimum " + schema.minimum_text);
                return false;
            }
            if (schema.maximum && v.d > *schema.maximum) {
                error(raw.pos, path, shown + " is above the maximum " + schema.maximum_text);
                return false;
            }
        }
        if (v.kind == Value::Kind::kString) {
            if (schema.min_length && static_cast<std::int64_t>(v.s.size()) < *schema.min_length) {
                error(
                    raw.pos, path,
                    *schema.min_length == 1
                        ? std::string("must not be empty")
                        : "must be at least " + std::to_string(*schema.min_length) + " characters");
                return false;
            }
            if (!schema.format.empty()) {
                std::string message = check_format(schema.format, v.s);
                if (!message.empty()) {
                    error(raw.pos, path, std::move(message));
                    return false;
                }
            }
        }
        return true;
    }

    std::optional<Value> check_array(const RawNode& raw,
                                     const SchemaNode& schema,
                                     const std::string& path) {
        if (raw.kind != RawNode::Kind::kSequence && raw.kind != RawNode::Kind::kNull) {
            error(raw.pos, path, "expected array, got " + describe(raw, schema));
            return std::nullopt;
        }
        Value v;
        v.kind = Value::Kind::kArray;
        v.pos = raw.pos;
        const auto count = static_cast<std::int64_t>(raw.items.size());
        if (schema.min_items && count < *schema.min_items) {
            error(raw.pos, path,
                  "expected at least " + std::to_string(*schema.min_items) +
                      (*schema.min_items == 1 ? " item" : " items") + ", got " +
                      std::to_string(count) +
                      (schema.description.empty() ? "" : " (" + schema.description + ")"));
            return std::nullopt;
        }
        if (schema.max_items && count > *schema.max_items) {
            error(raw.pos, path,
                  "expected at most " + std::to_string(*schema.max_items) + " items, got " +
                      std::to_string(count));
            return std::nullopt;
        }
        bool ok = true;
        for (std::size_t i = 0; i < raw.items.size(); ++i) {
            if (!schema.items) {
                continue;
            }
            auto item = check(raw.items[i], *schema.items, path + "[" + std::to_string(i) + "]");
            if (item) {
                v.items.push_back(std::move(*item));
            } else {
                ok = false;
            }
        }
        if (!ok) {
            return std::nullopt;
        }
        return v;
    }

    std::optional<Value> check_object(const RawNode& raw,
                                      const SchemaNode& schema,
                                      const std::string& path) {
        if (raw.kind != RawNode::Kind::kMap && raw.kind != RawNode::Kind::kNull) {
            error(raw.pos, path, "expected object, got " + describe(raw, schema));
            return std::nullopt;
        }
        Value v;
        v.kind = Value::Kind::kObject;
        v.pos = raw.pos;
        bool ok = true;
        std::vector<std::pair<std::string, int>> seen;
        std::set<std::string> present;
        for (const RawMember& m : raw.members) {
            const std::string key_path = join_path(path, m.key);
            const auto first = std::find_if(seen.begin(), seen.end(),
                                            [&](const auto& s) { return s.first == m.key; });
            if (first != seen.end()) {
                error(m.key_pos, key_path,
                      "duplicate key (first given at line " + std::to_string(first->second) +
                          "); remove one");
                ok = false;
                continue;
            }
            seen.emplace_back(m.key, m.key_pos.line);
            const SchemaNode* sub = schema.property(m.key);
            if (sub == nullptr) {
                if (!schema.additional_properties) {
                    error(m.key_pos, key_path, unknown_key_message(m.key, schema));
                    ok = false;
                } else if (m.value.kind == RawNode::Kind::kScalar) {
                    // A free-form map (a Kafka sink's `librdkafka:` properties, an HTTP sink's
                    // `headers`): each scalar kept as its text.
                    Value text;
                    text.kind = Value::Kind::kString;
                    text.pos = m.value.pos;
                    text.s = m.value.text;
                    v.members.emplace_back(m.key, std::move(text));
                } else if (m.value.kind != RawNode::Kind::kNull) {
                    error(m.value.pos, key_path, "expected a string, number or boolean");
                    ok = false;
                }
                continue;
            }
            if (m.value.kind == RawNode::Kind::kNull) {
                continue;  // "not set": the default applies below
            }
            present.insert(m.key);
            auto value = check(m.value, *sub, key_path);
            if (value) {
                v.members.emplace_back(m.key, std::move(*value));
            } else {
                ok = false;
            }
        }
        for (const std::string& name : schema.required) {
            if (present.count(name) == 0) {
                const SchemaNode* sub = schema.property(name);
                const bool given = std::any_of(seen.begin(), seen.end(),
                                               [&](const auto& s) { return s.first == name; });
                std::string message =
                    given ? "required key has no value" : "required key is missing";
                if (sub != nullptr && !sub->description.empty()) {
                    message += " (" + sub->description + ")";
                }
                error(raw.pos, join_path(path, name), std::move(message));
                ok = false;
            }
        }
        for (const SchemaProperty& p : schema.properties) {
            if (present.count(p.name) != 0 || !p.schema.default_value.valid()) {
                continue;
            }
            auto value = check(from_json(p.schema.default_value, raw.pos), p.schema,
                               join_path(path, p.name));
            if (value) {
                v.members.emplace_back(p.name, std::move(*value));
            } else {
                ok = false;
            }
        }
        if (ok && !schema.one_of.empty() && !check_one_of(raw, present, schema, path)) {
            ok = false;
        }
        if (!ok) {
            return std::nullopt;
        }
        return v;
    }

    static std::string unknown_key_message(const std::string& key, const SchemaNode& schema) {
        std::vector<std::string> allowed;
        std::string best;
        std::size_t best_distance = std::string::npos;
        for (const SchemaProperty& p : schema.properties) {
            allowed.push_back(p.name);
            const std::size_t d = edit_distance(key, p.name);
            // A close spelling, or a prefix of the real name ("fsync_interval").
            const bool prefix = std::min(key.size(), p.name.size()) >= 4 &&
                                (p.name.starts_with(key) || key.starts_with(p.name));
            if ((d <= 2 || prefix) && d < best_distance && d < p.name.size()) {
                best_distance = d;
                best = p.name;
            }
        }
        std::string message = "unknown key";
        if (!best.empty()) {
            message += " (did you mean '" + best + "'?)";
        }
        message += "; allowed keys here: " + join(allowed, ", ");
        return message;
    }

    // Generic oneOf: exactly one branch must hold. Branches that only list required keys (the
    // filters' in / not_in) get a direct message.
    bool check_one_of(const RawNode& raw,
                      const std::set<std::string>& present,
                      const SchemaNode& schema,
                      const std::string& path) {
        std::size_t matches = 0;
        bool only_required = true;
        std::vector<std::string> keys;
        for (const SchemaNode& branch : schema.one_of) {
            const bool simple = branch.type.empty() && branch.properties.empty() &&
                                branch.one_of.empty() && branch.required.size() == 1;
            only_required = only_required && simple;
            if (simple) {
                keys.push_back(branch.required.front());
            }
            if (branch.type.empty() && branch.properties.empty() && branch.one_of.empty()) {
                const bool all =
                    std::all_of(branch.required.begin(), branch.required.end(),
                                [&](const std::string& k) { return present.count(k) != 0; });
                matches += all ? 1 : 0;
                continue;
            }
            std::vector<Diagnostic> saved;
            saved.swap(diagnostics_);
            const bool ok = check(raw, branch, path).has_value();
            saved.swap(diagnostics_);
            matches += ok ? 1 : 0;
        }
        if (matches == 1) {
            return true;
        }
        if (only_required) {
            error(raw.pos, path,
                  (matches == 0 ? "set exactly one of the keys " : "set only one of the keys ") +
                      quoted_list(keys));
        } else {
            std::vector<std::string> descriptions;
            for (const SchemaNode& branch : schema.one_of) {
                descriptions.push_back(branch.description);
            }
            error(raw.pos, path,
                  "must match exactly one of: " + join(descriptions, "; ") + " (" +
                      std::to_string(matches) + " match)");
        }
        return false;
    }

    std::optional<Value> check_discriminated(const RawNode& raw,
                                             const SchemaNode& schema,
                                             const std::string& path) {
        if (raw.kind != RawNode::Kind::kMap) {
            error(raw.pos, path, "expected object, got " + describe(raw, schema));
            return std::nullopt;
        }
        const RawMember* type = nullptr;
        for (const RawMember& m : raw.members) {
            if (m.key == "type") {
                type = &m;
                break;
            }
        }
        const std::string choices = join(schema.discriminator_values, ", ");
        if (type == nullptr || type->value.kind == RawNode::Kind::kNull) {
            error(raw.pos, join_path(path, "type"), "required key is missing; one of: " + choices);
            return std::nullopt;
        }
        for (std::size_t i = 0; i < schema.discriminator_values.size(); ++i) {
            if (type->value.kind == RawNode::Kind::kScalar &&
                type->value.text == schema.discriminator_values[i]) {
                return check(raw, schema.one_of[i], path);
            }
        }
        error(type->value.pos, join_path(path, "type"),
              "'" + type->value.text + "' is not one of: " + choices);
        return std::nullopt;
    }

private:
    std::string file_;
    const EnvLookup& env_;
    std::vector<Diagnostic> diagnostics_;
};

// ---- Value -> Config ---------------------------------------------------------------------------

const Value& object_at(const Value& obj, std::string_view key) {
    static const Value kEmpty;
    const Value* v = obj.find(key);
    return v != nullptr ? *v : kEmpty;
}

void set(const Value& obj, std::string_view key, std::int64_t& out) {
    if (const Value* v = obj.find(key)) {
        out = v->i;
    }
}

void set(const Value& obj, std::string_view key, bool& out) {
    if (const Value* v = obj.find(key)) {
        out = v->b;
    }
}

void set(const Value& obj, std::string_view key, std::string& out) {
    if (const Value* v = obj.find(key)) {
        out = v->s;
    }
}

void set(const Value& obj, std::string_view key, std::optional<std::string>& out) {
    if (const Value* v = obj.find(key)) {
        out = v->s;
    }
}

void set(const Value& obj, std::string_view key, std::vector<std::string>& out) {
    if (const Value* v = obj.find(key)) {
        out.clear();
        for (const Value& item : v->items) {
            out.push_back(item.s);
        }
    }
}

boost::json::value to_json(const Value& v) {
    switch (v.kind) {
        case Value::Kind::kBool:
            return boost::json::value(v.b);
        case Value::Kind::kInt:
            return boost::json::value(v.i);
        case Value::Kind::kNumber:
            return boost::json::value(v.d);
        case Value::Kind::kString:
            return boost::json::value(v.s);
        case Value::Kind::kArray: {
            boost::json::array a;
            for (const Value& item : v.items) {
                a.push_back(to_json(item));
            }
            return a;
        }
        case Value::Kind::kObject:
            break;
    }
    boost::json::object o;
    for (const auto& [key, member] : v.members) {
        o[key] = to_json(member);
    }
    return o;
}

// A sink's own keys (SinkConfig::settings): all but type and name.
std::shared_ptr<const boost::json::object> sink_settings(const Value& item) {
    auto settings = std::make_shared<boost::json::object>();
    for (const auto& [key, member] : item.members) {
        if (key != "type" && key != "name") {
            (*settings)[key] = to_json(member);
        }
    }
    return settings;
}

Config to_config(const Value& root, const EnvLookup& env) {
    Config c;
    const Value& g = object_at(root, "genesys");
    set(g, "region", c.genesys.region);
    set(g, "base_url", c.genesys.base_url);
    set(g, "client_id", c.genesys.client_id);
    set(g, "client_secret", c.genesys.client_secret);
    set(g, "token_refresh_margin_ms", c.genesys.token_refresh_margin_ms);

    const Value& s = object_at(root, "source");
    set(s, "protocol", c.source.protocol);
    set(s, "url", c.source.url);
    set(s, "queues", c.source.queues);
    set(s, "states", c.source.states);
    set(s, "max_message_bytes", c.source.max_message_bytes);
    set(s, "connect_timeout_ms", c.source.connect_timeout_ms);
    set(s, "ping_interval_ms", c.source.ping_interval_ms);
    set(s, "idle_timeout_ms", c.source.idle_timeout_ms);
    set(s, "reconnect_initial_ms", c.source.reconnect_initial_ms);
    set(s, "reconnect_max_ms", c.source.reconnect_max_ms);
    set(s, "subscribe_max_attempts", c.source.subscribe_max_attempts);
    const Value& tls = object_at(s, "tls");
    set(tls, "verify", c.source.tls.verify);
    set(tls, "ca_file", c.source.tls.ca_file);
    const Value& notifications = object_at(s, "notifications");
    set(notifications, "media", c.source.notifications.media);
    set(notifications, "topics", c.source.notifications.topics);
    set(notifications, "watchdog_ms", c.source.notifications.watchdog_ms);
    set(notifications, "pong_timeout_ms", c.source.notifications.pong_timeout_ms);
    set(notifications, "retire_grace_ms", c.source.notifications.retire_grace_ms);
    set(notifications, "expiry_margin_ms", c.source.notifications.expiry_margin_ms);
    set(notifications, "detail_topics", c.source.notifications.detail_topics);
    set(notifications, "detail_linger_ms", c.source.notifications.detail_linger_ms);
    set(s, "queue_capacity", c.source.queue_capacity);

    const Value& p = object_at(root, "pipeline");
    const Value& batch = object_at(p, "batch");
    set(batch, "max_events", c.pipeline.batch.max_events);
    set(batch, "max_bytes", c.pipeline.batch.max_bytes);
    set(batch, "max_age_ms", c.pipeline.batch.max_age_ms);
    set(p, "allowed_lateness_ms", c.pipeline.allowed_lateness_ms);
    set(p, "late_policy", c.pipeline.late_policy);
    const Value& dedup = object_at(p, "dedup");
    set(dedup, "window_events", c.pipeline.dedup.window_events);
    set(dedup, "window_ms", c.pipeline.dedup.window_ms);
    if (const Value* filters = p.find("filters")) {
        for (const Value& f : filters->items) {
            FieldFilter filter;
            set(f, "pointer", filter.pointer);
            if (f.find("not_in") != nullptr) {
                filter.negate = true;
                set(f, "not_in", filter.values);
            } else {
                set(f, "in", filter.values);
            }
            c.pipeline.filters.push_back(std::move(filter));
        }
    }
    set(p, "schemas_dir", c.pipeline.schemas_dir);
    const Value& snapshots = object_at(p, "snapshots");
    set(snapshots, "emit", c.pipeline.snapshots.emit);
    set(snapshots, "ended_ttl_ms", c.pipeline.snapshots.ended_ttl_ms);
    set(snapshots, "idle_ttl_ms", c.pipeline.snapshots.idle_ttl_ms);
    set(snapshots, "max_conversations", c.pipeline.snapshots.max_conversations);

    if (const Value* sinks = root.find("sinks")) {
        for (const Value& item : sinks->items) {
            SinkConfig sink;
            set(item, "type", sink.type);
            set(item, "name", sink.name);
            if (sink.name.empty()) {
                sink.name = sink.type;  // one sink alone (check_cross_fields requires it otherwise)
            }
            set(item, "path", sink.path);
            set(item, "fsync", sink.fsync);
            set(item, "fsync_interval_ms", sink.fsync_interval_ms);
            sink.settings = sink_settings(item);
            sink.line = item.pos.line;
            c.sinks.push_back(std::move(sink));
        }
    }
    set(root, "data_dir", c.data_dir);
    if (c.data_dir.empty()) {
        // systemd's StateDirectory= sets it (several directories are separated by ':').
        const std::optional<std::string> state = env ? env("STATE_DIRECTORY") : std::nullopt;
        c.data_dir = state && !state->empty() ? state->substr(0, state->find(':')) : kDefaultDataDir;
    }
    set(object_at(root, "dead_letter"), "path", c.dead_letter.path);
    if (c.dead_letter.path.empty()) {
        c.dead_letter.path = (std::filesystem::path(c.data_dir) / "dead-letter.sqlite3").string();
    }
    set(object_at(root, "metrics"), "listen", c.metrics.listen);
    const Value& logging = object_at(root, "logging");
    set(logging, "level", c.logging.level);
    set(logging, "format", c.logging.format);
    set(root, "shutdown_timeout_ms", c.shutdown_timeout_ms);
    const Value& wal = object_at(root, "wal");
    set(wal, "enabled", c.wal.enabled);
    set(wal, "dir", c.wal.dir);
    if (!c.wal.enabled) {
        c.wal.dir.reset();  // check_cross_fields refuses a dir with enabled: false
    } else if (!c.wal.dir) {
        c.wal.dir = (std::filesystem::path(c.data_dir) / "wal").string();
    }
    set(wal, "segment_bytes", c.wal.segment_bytes);
    set(wal, "fsync", c.wal.fsync);
    set(wal, "checkpoint_interval_ms", c.wal.checkpoint_interval_ms);
    return c;
}

// The first item before items[i] whose string `key` equals items[i]'s; nullopt when there is
// none (or items[i] has no such key).
std::optional<std::size_t> earlier_with_same(const Value& list, std::size_t i, std::string_view key) {
    const Value* value = list.items[i].find(key);
    for (std::size_t j = 0; value != nullptr && j < i; ++j) {
        const Value* other = list.items[j].find(key);
        if (other != nullptr && other->s == value->s) {
            return j;
        }
    }
    return std::nullopt;
}

// Rules that span several keys; each names the keys to change.
void check_cross_fields(const Value& root, Loader& loader) {
    const Value& w = object_at(root, "wal");
    const Value* enabled = w.find("enabled");
    if (const Value* dir = w.find("dir"); dir != nullptr && enabled != nullptr && !enabled->b) {
        loader.error(dir->pos, "wal.dir",
                     "set while wal.enabled is false; remove one of them (without the log a "
                     "crash loses what the pipeline held)");
    }
    const Value& g = object_at(root, "genesys");
    const Value& s = object_at(root, "source");
    const Pos genesys_pos = root.find("genesys") != nullptr ? g.pos : root.pos;
    if (s.find("url") == nullptr) {
        for (const char* key : {"client_id", "client_secret"}) {
            const Value* v = g.find(key);
            if (v == nullptr || v->s.empty()) {
                loader.error(v != nullptr ? v->pos : genesys_pos, std::string("genesys.") + key,
                             "required when source.url is not set (set genesys.client_id and "
                             "genesys.client_secret, or source.url to read a WebSocket "
                             "directly)");
            }
        }
    }
    const Value* protocol = s.find("protocol");
    if (protocol != nullptr && protocol->s == "notifications" && s.find("url") == nullptr) {
        // The topic budget (≤ 1,000 topics per channel, ≤ 19 channels) is a start-up error.
        const Value& n = object_at(s, "notifications");
        const auto strings = [](const Value* v) {
            std::vector<std::string> out;
            if (v != nullptr) {
                for (const Value& item : v->items) {
                    out.push_back(item.s);
                }
            }
            return out;
        };
        try {
            const Value* detail = n.find("detail_topics");
            source::notifications::pack_topics(
                source::notifications::build_topics(strings(s.find("queues")),
                                                    strings(n.find("media")),
                                                    strings(n.find("topics"))),
                source::notifications::kMaxTopicsPerChannel,
                source::notifications::kMaxPlannedChannels - (detail && detail->b ? 1 : 0));
        } catch (const std::invalid_argument& e) {
            const Value* at = n.find("topics") != nullptr ? n.find("topics") : s.find("queues");
            loader.error(at != nullptr ? at->pos : s.pos,
                         at == n.find("topics") && at != nullptr ? "source.notifications.topics"
                                                                 : "source.queues",
                         e.what());
        }
    }
    const Value* initial = s.find("reconnect_initial_ms");
    const Value* max = s.find("reconnect_max_ms");
    if (initial != nullptr && max != nullptr && max->i < initial->i) {
        loader.error(max->pos, "source.reconnect_max_ms",
                     std::to_string(max->i) + " is below source.reconnect_initial_ms (" +
                         std::to_string(initial->i) + "); raise it or lower the other");
    }
    const Value* ping = s.find("ping_interval_ms");
    const Value* idle = s.find("idle_timeout_ms");
    if (ping != nullptr && idle != nullptr && idle->i <= ping->i) {
        loader.error(idle->pos, "source.idle_timeout_ms",
                     std::to_string(idle->i) + " must be greater than source.ping_interval_ms (" +
                         std::to_string(ping->i) + ") so a pong can arrive before the deadline");
    }
    if (const Value* sinks = root.find("sinks")) {
        for (std::size_t i = 0; i < sinks->items.size(); ++i) {
            const Value& item = sinks->items[i];
            const std::string at = "sinks[" + std::to_string(i) + "]";
            if (item.find("name") == nullptr && sinks->items.size() > 1) {
                loader.error(item.pos, at + ".name",
                             "required when there are two or more sinks: it keys the sink's "
                             "position in the write-ahead log and its metrics");
            }
            if (const auto j = earlier_with_same(*sinks, i, "name")) {
                loader.error(item.find("name")->pos, at + ".name",
                             "'" + item.find("name")->s + "' is the name of sinks[" +
                                 std::to_string(*j) + "] too; give each sink its own name");
            }
            if (const auto j = earlier_with_same(*sinks, i, "path")) {
                loader.error(item.find("path")->pos, at + ".path",
                             "same file as sinks[" + std::to_string(*j) +
                                 "].path; give each sink its own path");
            }
        }
    }
}

[[noreturn]] void throw_sorted(std::vector<Diagnostic> diagnostics) {
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                     });
    throw ConfigError(std::move(diagnostics));
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(Diagnostic{
            path, 0, 0, "",
            std::string("cannot read the configuration file (") + std::strerror(errno) + ")"});
    }
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

}  // namespace

std::string shipped_schema_dir() {
    const char* dir = std::getenv("GSTREAM_SCHEMA_DIR");
    return dir != nullptr && *dir != '\0' ? std::string(dir) : std::string(core::kBuiltInSchemaDir);
}

std::string schema_origin() {
    const std::string dir = shipped_schema_dir();
    return core::is_built_in_schema_path(dir) ? "built in" : "from " + dir;
}

std::string default_schema_path() {
    return shipped_schema_dir() + "/config.schema.json";
}

Config load_config_string(std::string_view yaml,
                          std::string_view file_name,
                          const ConfigSchema& schema,
                          EnvLookup env) {
    const std::string file(file_name);
    YAML::Node document;
    try {
        document = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw ConfigError(Diagnostic{file, pos_of(e.mark).line, pos_of(e.mark).column, "",
                                     "YAML syntax error: " + e.msg});
    }
    Loader loader(file, env);
    RawNode raw = loader.from_yaml(document, "");
    if (!loader.diagnostics().empty()) {
        throw_sorted(std::move(loader.diagnostics()));
    }
    if (raw.kind == RawNode::Kind::kNull) {
        throw ConfigError(Diagnostic{file, 1, 1, "",
                                     "the configuration is empty; at least 'sinks' is required "
                                     "(see examples/minimal.yaml)"});
    }
    std::optional<Value> root = loader.check(raw, schema.root(), "");
    if (root && loader.diagnostics().empty()) {
        check_cross_fields(*root, loader);
    }
    if (!root || !loader.diagnostics().empty()) {
        throw_sorted(std::move(loader.diagnostics()));
    }
    return to_config(*root, env);
}

Config load_config_string(std::string_view yaml,
                          std::string_view file_name,
                          const std::string& schema_path,
                          EnvLookup env) {
    return load_config_string(yaml, file_name, ConfigSchema::load_file(schema_path),
                              std::move(env));
}

Config load_config_file(const std::string& path, const ConfigSchema& schema, EnvLookup env) {
    return load_config_string(read_file(path), path, schema, std::move(env));
}

Config load_config_file(const std::string& path, const std::string& schema_path, EnvLookup env) {
    return load_config_file(path, ConfigSchema::load_file(schema_path), std::move(env));
}

bool is_secret_key(std::string_view key) {
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    for (const char* word : {"password", "secret", "token", "authorization", "credential",
                             "api-key", "api_key", "apikey", "seed"}) {
        if (lower.find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

namespace {

void emit_setting(YAML::Emitter& out, std::string_view key, const boost::json::value& v) {
    out << YAML::Value;
    if (is_secret_key(key) && !v.is_object() && !v.is_array()) {
        out << "***";
        return;
    }
    switch (v.kind()) {
        case boost::json::kind::bool_:
            out << v.get_bool();
            break;
        case boost::json::kind::int64:
            out << v.get_int64();
            break;
        case boost::json::kind::uint64:
            out << v.get_uint64();
            break;
        case boost::json::kind::double_:
            out << v.get_double();
            break;
        case boost::json::kind::string:
            out << std::string(v.get_string());
            break;
        case boost::json::kind::array:
            out << YAML::BeginSeq;
            for (const boost::json::value& item : v.get_array()) {
                emit_setting(out, key, item);
            }
            out << YAML::EndSeq;
            break;
        case boost::json::kind::object:
            out << YAML::BeginMap;
            for (const auto& member : v.get_object()) {
                out << YAML::Key << std::string(member.key());
                emit_setting(out, member.key(), member.value());
            }
            out << YAML::EndMap;
            break;
        case boost::json::kind::null:
            out << YAML::Null;
            break;
    }
}

}  // namespace

std::string to_log_string(const Config& c) {
    YAML::Emitter out;
    const auto opt = [&out](const std::optional<std::string>& v) {
        if (v) {
            out << *v;
        } else {
            out << YAML::Null;
        }
    };
    const auto list = [&out](const std::vector<std::string>& v) {
        out << YAML::Flow << YAML::BeginSeq;
        for (const std::string& item : v) {
            out << item;
        }
        out << YAML::EndSeq;
    };
    std::optional<std::string> url = c.source.url;
    if (url) {
        const std::size_t q = url->find('?');
        if (q != std::string::npos) {
            *url = url->substr(0, q) + "?***";
        }
    }
    out << YAML::BeginMap;
    out << YAML::Key << "genesys" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "region" << YAML::Value << c.genesys.region;
    out << YAML::Key << "base_url" << YAML::Value;
    opt(c.genesys.base_url);
    out << YAML::Key << "client_id" << YAML::Value << c.genesys.client_id;
    out << YAML::Key << "client_secret" << YAML::Value
        << (c.genesys.client_secret.empty() ? "" : "***");
    out << YAML::Key << "token_refresh_margin_ms" << YAML::Value
        << c.genesys.token_refresh_margin_ms;
    out << YAML::EndMap;

    out << YAML::Key << "source" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "protocol" << YAML::Value << c.source.protocol;
    out << YAML::Key << "url" << YAML::Value;
    opt(url);
    out << YAML::Key << "queues" << YAML::Value;
    list(c.source.queues);
    out << YAML::Key << "states" << YAML::Value;
    list(c.source.states);
    out << YAML::Key << "max_message_bytes" << YAML::Value << c.source.max_message_bytes;
    out << YAML::Key << "connect_timeout_ms" << YAML::Value << c.source.connect_timeout_ms;
    out << YAML::Key << "ping_interval_ms" << YAML::Value << c.source.ping_interval_ms;
    out << YAML::Key << "idle_timeout_ms" << YAML::Value << c.source.idle_timeout_ms;
    out << YAML::Key << "reconnect_initial_ms" << YAML::Value << c.source.reconnect_initial_ms;
    out << YAML::Key << "reconnect_max_ms" << YAML::Value << c.source.reconnect_max_ms;
    out << YAML::Key << "subscribe_max_attempts" << YAML::Value << c.source.subscribe_max_attempts;
    out << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "verify" << YAML::Value << c.source.tls.verify;
    out << YAML::Key << "ca_file" << YAML::Value;
    opt(c.source.tls.ca_file);
    out << YAML::EndMap;
    out << YAML::Key << "notifications" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "media" << YAML::Value;
    list(c.source.notifications.media);
    out << YAML::Key << "topics" << YAML::Value;
    list(c.source.notifications.topics);
    out << YAML::Key << "watchdog_ms" << YAML::Value << c.source.notifications.watchdog_ms;
    out << YAML::Key << "pong_timeout_ms" << YAML::Value << c.source.notifications.pong_timeout_ms;
    out << YAML::Key << "retire_grace_ms" << YAML::Value << c.source.notifications.retire_grace_ms;
    out << YAML::Key << "expiry_margin_ms" << YAML::Value
        << c.source.notifications.expiry_margin_ms;
    out << YAML::Key << "detail_topics" << YAML::Value << c.source.notifications.detail_topics;
    out << YAML::Key << "detail_linger_ms" << YAML::Value
        << c.source.notifications.detail_linger_ms;
    out << YAML::EndMap;
    out << YAML::Key << "queue_capacity" << YAML::Value << c.source.queue_capacity;
    out << YAML::EndMap;

    out << YAML::Key << "pipeline" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "batch" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "max_events" << YAML::Value << c.pipeline.batch.max_events;
    out << YAML::Key << "max_bytes" << YAML::Value << c.pipeline.batch.max_bytes;
    out << YAML::Key << "max_age_ms" << YAML::Value << c.pipeline.batch.max_age_ms;
    out << YAML::EndMap;
    out << YAML::Key << "allowed_lateness_ms" << YAML::Value << c.pipeline.allowed_lateness_ms;
    out << YAML::Key << "late_policy" << YAML::Value << c.pipeline.late_policy;
    out << YAML::Key << "dedup" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "window_events" << YAML::Value << c.pipeline.dedup.window_events;
    out << YAML::Key << "window_ms" << YAML::Value << c.pipeline.dedup.window_ms;
    out << YAML::EndMap;
    out << YAML::Key << "filters" << YAML::Value << YAML::BeginSeq;
    for (const FieldFilter& f : c.pipeline.filters) {
        out << YAML::BeginMap << YAML::Key << "pointer" << YAML::Value << f.pointer;
        out << YAML::Key << (f.negate ? "not_in" : "in") << YAML::Value;
        list(f.values);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "schemas_dir" << YAML::Value;
    opt(c.pipeline.schemas_dir);
    out << YAML::Key << "snapshots" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "emit" << YAML::Value << c.pipeline.snapshots.emit;
    out << YAML::Key << "ended_ttl_ms" << YAML::Value << c.pipeline.snapshots.ended_ttl_ms;
    out << YAML::Key << "idle_ttl_ms" << YAML::Value << c.pipeline.snapshots.idle_ttl_ms;
    out << YAML::Key << "max_conversations" << YAML::Value
        << c.pipeline.snapshots.max_conversations;
    out << YAML::EndMap;
    out << YAML::EndMap;

    out << YAML::Key << "sinks" << YAML::Value << YAML::BeginSeq;
    for (const SinkConfig& s : c.sinks) {
        out << YAML::BeginMap;
        out << YAML::Key << "type" << YAML::Value << s.type;
        out << YAML::Key << "name" << YAML::Value << s.name;
        if (s.settings != nullptr) {
            for (const auto& member : *s.settings) {
                out << YAML::Key << std::string(member.key());
                emit_setting(out, member.key(), member.value());
            }
        } else {
            out << YAML::Key << "path" << YAML::Value << s.path;
            out << YAML::Key << "fsync" << YAML::Value << s.fsync;
            out << YAML::Key << "fsync_interval_ms" << YAML::Value << s.fsync_interval_ms;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "dead_letter" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "path" << YAML::Value << c.dead_letter.path << YAML::EndMap;
    out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "listen" << YAML::Value;
    opt(c.metrics.listen);
    out << YAML::EndMap;
    out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "level" << YAML::Value << c.logging.level;
    out << YAML::Key << "format" << YAML::Value << c.logging.format;
    out << YAML::EndMap;
    out << YAML::Key << "shutdown_timeout_ms" << YAML::Value << c.shutdown_timeout_ms;
    out << YAML::Key << "data_dir" << YAML::Value << c.data_dir;
    out << YAML::Key << "wal" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "enabled" << YAML::Value << c.wal.enabled;
    out << YAML::Key << "dir" << YAML::Value;
    opt(c.wal.dir);
    out << YAML::Key << "segment_bytes" << YAML::Value << c.wal.segment_bytes;
    out << YAML::Key << "fsync" << YAML::Value << c.wal.fsync;
    out << YAML::Key << "checkpoint_interval_ms" << YAML::Value << c.wal.checkpoint_interval_ms;
    out << YAML::EndMap;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace gstream::config
