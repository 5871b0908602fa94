#include "config/config_schema.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

#include "config/config_error.hpp"
#include "core/shipped_schemas.hpp"

namespace gstream::config {
namespace {

constexpr std::array<std::string_view, 6> kFormats{"genesys-region", "http-origin", "websocket-url",
                                                   "json-pointer", "host-port", "sink-name"};
constexpr std::array<std::string_view, 6> kTypes{"object",  "array",  "string",
                                                 "integer", "number", "boolean"};

class SchemaCompiler {
public:
    SchemaCompiler(std::string_view text, const std::string& file_name)
        : text_(text)
        , file_name_(file_name) {}

    SchemaNode compile(core::JsonValue json, const std::string& where) {
        if (!json.is_object()) {
            fail(json, where, "a schema must be an object");
        }
        if (json.has_duplicate_key()) {
            fail(json, where, "repeats a member name");
        }
        SchemaNode node;
        json.for_each_member(
            [&](std::string_view key, core::JsonValue value) { keyword(node, key, value, where); });
        if (node.type.empty() && node.one_of.empty()) {
            fail(json, where, "needs \"type\" (or \"oneOf\")");
        }
        if (!node.one_of.empty()) {
            find_discriminator(node);
        }
        return node;
    }

private:
    [[noreturn]] void fail(core::JsonValue at,
                           const std::string& where,
                           const std::string& message) const {
        Diagnostic d;
        d.file = file_name_;
        const std::uint32_t offset = at.valid() ? at.begin() : 0;
        d.line = 1;
        d.column = 1;
        for (std::uint32_t i = 0; i < offset && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++d.line;
                d.column = 1;
            } else {
                ++d.column;
            }
        }
        d.message =
            "schema" + (where.empty() ? std::string() : " at '" + where + "'") + ": " + message;
        throw ConfigError(std::move(d));
    }

    std::string string_of(core::JsonValue v, const std::string& where, std::string_view key) {
        if (!v.is_string()) {
            fail(v, where, "\"" + std::string(key) + "\" must be a string");
        }
        return std::string(v.get_string());
    }

    std::int64_t count_of(core::JsonValue v, const std::string& where, std::string_view key) {
        if (v.type() != core::JsonType::kInteger || v.get_int64() < 0) {
            fail(v, where, "\"" + std::string(key) + "\" must be a non-negative integer");
        }
        return v.get_int64();
    }

    void keyword(SchemaNode& node,
                 std::string_view key,
                 core::JsonValue v,
                 const std::string& where) {
        if (key == "$schema" || key == "$id" || key == "title") {
            return;
        }
        if (key == "description") {
            node.description = string_of(v, where, key);
        } else if (key == "type") {
            node.type = string_of(v, where, key);
            if (std::find(kTypes.begin(), kTypes.end(), node.type) == kTypes.end()) {
                fail(v, where, "unsupported type '" + node.type + "'");
            }
        } else if (key == "format") {
            node.format = string_of(v, where, key);
            if (std::find(kFormats.begin(), kFormats.end(), node.format) == kFormats.end()) {
                fail(v, where, "unsupported format '" + node.format + "'");
            }
        } else if (key == "writeOnly") {
            node.write_only = v.get_bool();
        } else if (key == "additionalProperties") {
            if (v.type() != core::JsonType::kFalse && v.type() != core::JsonType::kTrue) {
                fail(v, where, "only additionalProperties: true or false is supported");
            }
            node.additional_properties = v.get_bool();
        } else if (key == "properties") {
            if (!v.is_object()) {
                fail(v, where, "\"properties\" must be an object");
            }
            v.for_each_member([&](std::string_view name, core::JsonValue sub) {
                const std::string path =
                    where.empty() ? std::string(name) : where + "." + std::string(name);
                node.properties.push_back(SchemaProperty{std::string(name), compile(sub, path)});
            });
        } else if (key == "required") {
            if (!v.is_array()) {
                fail(v, where, "\"required\" must be an array of strings");
            }
            v.for_each_element([&](core::JsonValue e) {
                node.required.push_back(string_of(e, where, "required"));
            });
        } else if (key == "enum") {
            if (!v.is_array() || v.size() == 0) {
                fail(v, where, "\"enum\" must be a non-empty array");
            }
            v.for_each_element([&](core::JsonValue e) {
                node.enum_values.emplace_back(e.is_string() ? e.get_string() : e.raw());
            });
        } else if (key == "minimum" || key == "maximum") {
            if (!v.is_number()) {
                fail(v, where, "\"" + std::string(key) + "\" must be a number");
            }
            (key == "minimum" ? node.minimum : node.maximum) = v.get_double();
            (key == "minimum" ? node.minimum_text : node.maximum_text) = std::string(v.raw());
        } else if (key == "minItems") {
            node.min_items = count_of(v, where, key);
        } else if (key == "maxItems") {
            node.max_items = count_of(v, where, key);
        } else if (key == "minLength") {
            node.min_length = count_of(v, where, key);
        } else if (key == "default") {
            node.default_value = v;
        } else if (key == "items") {
            node.items = std::make_unique<SchemaNode>(compile(v, where + "[]"));
        } else if (key == "oneOf") {
            if (!v.is_array() || v.size() == 0) {
                fail(v, where, "\"oneOf\" must be a non-empty array");
            }
            v.for_each_element([&](core::JsonValue e) {
                // A branch may be only {"required": [...]}: give it the parent's type.
                SchemaNode branch = compile_branch(e, where);
                node.one_of.push_back(std::move(branch));
            });
        } else {
            fail(v, where, "unsupported keyword \"" + std::string(key) + "\"");
        }
    }

    SchemaNode compile_branch(core::JsonValue e, const std::string& where) {
        if (e.is_object() && !e.find("type").valid() && !e.find("oneOf").valid()) {
            SchemaNode branch;
            e.for_each_member([&](std::string_view key, core::JsonValue value) {
                keyword(branch, key, value, where);
            });
            return branch;
        }
        return compile(e, where);
    }

    static void find_discriminator(SchemaNode& node) {
        std::vector<std::string> values;
        for (const SchemaNode& branch : node.one_of) {
            const SchemaNode* type = branch.property("type");
            if (branch.type != "object" || type == nullptr || type->enum_values.size() != 1) {
                return;
            }
            values.push_back(type->enum_values.front());
        }
        node.discriminator_values = std::move(values);
    }

    std::string_view text_;
    const std::string& file_name_;
};

void collect_paths(const SchemaNode& node,
                   const std::string& prefix,
                   std::vector<std::string>& out) {
    for (const SchemaProperty& p : node.properties) {
        const std::string path = prefix.empty() ? p.name : prefix + "." + p.name;
        if (std::find(out.begin(), out.end(), path) == out.end()) {
            out.push_back(path);
        }
        collect_paths(p.schema, path, out);
    }
    if (node.items) {
        collect_paths(*node.items, prefix + "[]", out);
    }
    for (const SchemaNode& branch : node.one_of) {
        collect_paths(branch, prefix, out);
    }
}

}  // namespace

const SchemaNode* SchemaNode::property(std::string_view name) const noexcept {
    for (const SchemaProperty& p : properties) {
        if (p.name == name) {
            return &p.schema;
        }
    }
    return nullptr;
}

ConfigSchema ConfigSchema::load_file(const std::string& path) {
    if (const auto text = core::built_in_schema(path)) {
        return parse(std::string(*text), path);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(Diagnostic{path, 0, 0, "",
                                     "cannot read the configuration schema (a --schema-dir or "
                                     "$GSTREAM_SCHEMA_DIR replaces the built-in schemas)"});
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse(std::move(text).str(), path);
}

ConfigSchema ConfigSchema::parse(std::string text, const std::string& file_name) {
    ConfigSchema schema;
    schema.file_name_ = file_name;
    schema.document_ = std::make_unique<core::JsonDocument>();
    if (!schema.document_->parse_copy(std::move(text))) {
        const auto& err = schema.document_->error();
        int line = 1;
        int column = 1;
        const std::string_view t = schema.document_->text();
        for (std::uint32_t i = 0; i < err.offset && i < t.size(); ++i) {
            if (t[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        throw ConfigError(Diagnostic{file_name, line, column, "", "schema: " + err.message});
    }
    SchemaCompiler compiler(schema.document_->text(), schema.file_name_);
    schema.root_ = std::make_unique<SchemaNode>(compiler.compile(schema.document_->root(), ""));
    return schema;
}

std::vector<std::string> ConfigSchema::property_paths() const {
    std::vector<std::string> out;
    collect_paths(*root_, "", out);
    return out;
}

}  // namespace gstream::config
