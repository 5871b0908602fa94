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

/// Where the schemas are read (config.schema.json, events/): $GSTREAM_SCHEMA_DIR when set (the
/// `--schema-dir` option sets it), else core::kBuiltInSchemaDir, the schemas built into the
/// binary (core/shipped_schemas.hpp). Read at each call.
std::string shipped_schema_dir();
/// For messages: "built in", or "from <dir>".
std::string schema_origin();
/// shipped_schema_dir() + "/config.schema.json" (a built-in path unless overridden).
std::string default_schema_path();

/// True for a key whose value is a credential, logged as "***" wherever settings are printed (a
/// sink's `token` or `password`, an `Authorization` header, librdkafka's `sasl.password`): its
/// name contains password, secret, token, authorization, credential, api-key or seed
/// (case-insensitive).
bool is_secret_key(std::string_view key);

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
