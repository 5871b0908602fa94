#pragma once
// `genesys-stream check-config FILE`: validate a configuration file and exit.

#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "config/env_substitution.hpp"

namespace gstream::config {

/// Validates `file` against the schema at `schema_path`. On success prints "FILE: ok" (and,
/// with print_effective, the effective configuration with secrets shown as ***) to `out` and
/// returns 0; otherwise prints every problem, one "FILE:LINE:COL: key 'a.b': message" line each,
/// to `err` and returns 2.
int run_check_config(const std::string& file,
                     const std::string& schema_path,
                     std::ostream& out,
                     std::ostream& err,
                     const EnvLookup& env = process_env,
                     bool print_effective = false);

/// Adds the "check-config" subcommand: positional FILE, --print (effective configuration),
/// --schema PATH (default: default_schema_path(), i.e. GSTREAM_SCHEMA_DIR). Its callback prints
/// to std::cout / std::cerr and, when the file is invalid, throws CLI::RuntimeError(2), so main
/// must end parsing with CLI11_PARSE(app, argc, argv) (or return app.exit(e) on
/// CLI::ParseError) to exit with status 2 and print nothing more.
void register_check_config_command(CLI::App& app);

}  // namespace gstream::config
