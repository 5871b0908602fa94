#pragma once
// The schemas that ship with genesys-stream (the repository's schemas/: config.schema.json and
// events/*.schema.json), built into the binary so that it runs from any folder. A directory
// given by `--schema-dir` or $GSTREAM_SCHEMA_DIR replaces them (config::shipped_schema_dir()).
//
// Paths under kBuiltInSchemaDir name built-in files: "(built-in)/config.schema.json",
// "(built-in)/events/acd.end.schema.json". The schema loaders (config::ConfigSchema,
// pipeline::CompiledSchema and SchemaRegistry) read such paths from here, so messages name them
// the same way as files. Thread-safety: immutable data.

#include <optional>
#include <span>
#include <string_view>

namespace gstream::core {

struct ShippedSchema {
    std::string_view path;  ///< relative to schemas/: "config.schema.json", "events/acw.schema.json"
    std::string_view text;  ///< the file's bytes
};

/// Every shipped schema, sorted by path. Defined in a file generated at configure time
/// (cmake/embed_schemas.cmake).
std::span<const ShippedSchema> shipped_schema_files() noexcept;

/// The prefix of built-in schema paths.
inline constexpr std::string_view kBuiltInSchemaDir = "(built-in)";

/// The text of a built-in schema path ("(built-in)/events/acw.schema.json"); nullopt when
/// `path` is not under kBuiltInSchemaDir or names no shipped file.
inline std::optional<std::string_view> built_in_schema(std::string_view path) noexcept {
    if (!path.starts_with(kBuiltInSchemaDir) || path.size() <= kBuiltInSchemaDir.size() ||
        path[kBuiltInSchemaDir.size()] != '/') {
        return std::nullopt;
    }
    const std::string_view relative = path.substr(kBuiltInSchemaDir.size() + 1);
    for (const ShippedSchema& s : shipped_schema_files()) {
        if (s.path == relative) {
            return s.text;
        }
    }
    return std::nullopt;
}

/// True for kBuiltInSchemaDir itself or a path under it.
inline bool is_built_in_schema_path(std::string_view path) noexcept {
    return path == kBuiltInSchemaDir ||
           (path.starts_with(kBuiltInSchemaDir) && path.size() > kBuiltInSchemaDir.size() &&
            path[kBuiltInSchemaDir.size()] == '/');
}

}  // namespace gstream::core
