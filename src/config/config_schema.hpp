#pragma once
// The configuration schema (schemas/config.schema.json), loaded at run time.
//
// A JSON Schema draft-07 subset: type (one of object, array, string, integer, number, boolean),
// properties, additionalProperties (false or absent), required, enum, minimum, maximum,
// minItems, maxItems, minLength, default, description, items, oneOf, format, writeOnly, and the
// annotations $schema, $id, title. Any other keyword is a schema error, so a typo in the schema
// fails at start-up instead of silently not validating.
//
// oneOf is used two ways: when every branch fixes properties.type to a single enum value (sinks),
// the value's "type" picks the branch ("discriminator"), so errors come from that one branch;
// otherwise exactly one branch must validate (filters: exactly one of in / not_in).
//
// Formats (checked by the loader): genesys-region, http-origin, websocket-url, json-pointer,
// host-port.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json_document.hpp"

namespace gstream::config {

struct SchemaProperty;

/// One schema (sub)node, compiled from the JSON.
struct SchemaNode {
    std::string type;  ///< "object", "array", "string", "integer", "number", "boolean"; "" only
                       ///< with oneOf
    std::string description;
    std::string format;
    bool write_only = false;                 ///< a secret: its value is never echoed in errors
    std::vector<SchemaProperty> properties;  ///< in declaration order
    bool additional_properties = true;
    std::vector<std::string> required;
    std::vector<std::string> enum_values;  ///< strings unescaped, other values as raw JSON text
    std::optional<double> minimum;
    std::optional<double> maximum;
    std::string minimum_text;  ///< the bound as written in the schema, for messages
    std::string maximum_text;
    std::optional<std::int64_t> min_items;
    std::optional<std::int64_t> max_items;
    std::optional<std::int64_t> min_length;
    core::JsonValue default_value;  ///< !valid() when there is no default
    std::unique_ptr<SchemaNode> items;
    std::vector<SchemaNode> one_of;
    /// Set when every oneOf branch has properties.type with a single enum value: those values,
    /// branch by branch.
    std::vector<std::string> discriminator_values;

    const SchemaNode* property(std::string_view name) const noexcept;
};

struct SchemaProperty {
    std::string name;
    SchemaNode schema;
};

/// A loaded schema. Owns the JSON text (defaults point into it). Movable, not copyable;
/// immutable after loading, so concurrent reads are safe.
class ConfigSchema {
public:
    /// Reads and compiles the schema file. Throws ConfigError ("FILE:LINE:COL: schema: ...")
    /// when the file cannot be read, is not JSON, or uses an unsupported keyword or format.
    static ConfigSchema load_file(const std::string& path);
    /// Same, from text; `file_name` is used in messages.
    static ConfigSchema parse(std::string text, const std::string& file_name);

    const SchemaNode& root() const noexcept { return *root_; }
    const std::string& file_name() const noexcept { return file_name_; }

    /// Every property path, depth first in declaration order: "genesys", "genesys.region", ...;
    /// array items add "[]" ("sinks[].path"); oneOf branches contribute their properties.
    std::vector<std::string> property_paths() const;

private:
    ConfigSchema() = default;
    std::string file_name_;
    std::unique_ptr<core::JsonDocument> document_;
    std::unique_ptr<SchemaNode> root_;
};

}  // namespace gstream::config
