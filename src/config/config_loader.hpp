#pragma once
// Loads the daemon's configuration: YAML -> ${ENV} substitution -> validation against
// schemas/config.schema.json (read at run time) -> schema defaults -> cross-field checks -> Config.
//
// Every problem is reported as one line "FILE:LINE:COL: key 'a.b[0].c': message" naming the
// option to change: unknown keys (with the allowed ones), wrong types ("expected integer, got
// string 'abc'"), values outside enum/minimum/maximum, missing required keys, bad formats,
// unset environment variables. Lines and columns are 1-based, from yaml-cpp marks.
//
// Value rules (see docs/configuration.md):
// - ${VAR}, ${VAR:-default} and $$ are replaced in every scalar value (not in keys) before type
//   checking, so `port: ${PORT:-9464}` is an integer. Quoted scalars are strings.
// - An empty value (`key:`, `~`, `null`, or a plain ${...} that yields "") means "not set":
//   the schema default applies, an optional key stays absent.
// - Duplicate keys are errors.
// Start-up only: these functions throw ConfigError and are not meant for the data plane.

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/config_error.hpp"
#include "config/config_schema.hpp"
#include "config/env_substitution.hpp"

namespace gstream::config {

/// The shipped schemas: the source tree's schemas/ (config.schema.json, events/), fixed at build
/// time (GSTREAM_SCHEMA_DIR in the generated build_paths.hpp, which only config_loader.cpp
/// includes, so a build in another folder recompiles one file).
std::string shipped_schema_dir();
/// shipped_schema_dir() + "/config.schema.json".
std::string default_schema_path();

/// Reads `path` and validates it against the schema at `schema_path`. Throws ConfigError.
Config load_config_file(const std::string& path,
                        const std::string& schema_path,
                        EnvLookup env = process_env);
Config load_config_file(const std::string& path,
                        const ConfigSchema& schema,
                        EnvLookup env = process_env);

/// Same from text; `file_name` is only used in messages.
Config load_config_string(std::string_view yaml,
                          std::string_view file_name,
                          const std::string& schema_path,
                          EnvLookup env = process_env);
Config load_config_string(std::string_view yaml,
                          std::string_view file_name,
                          const ConfigSchema& schema,
                          EnvLookup env = process_env);

/// The effective configuration as YAML, every key shown (absent optionals as ~), safe to log:
/// genesys.client_secret is "***" and the query of source.url (it may carry a token) is "***".
std::string to_log_string(const Config& config);

}  // namespace gstream::config
