#pragma once
// `genesys-stream check-config FILE`: validate a configuration file and exit.

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "config/env_substitution.hpp"

namespace gstream::config {

/// Checks of a loaded configuration that the loader cannot make itself (the sinks' own offline
/// checks, through the sink registry): one line per problem, empty when there is none.
using ExtraChecks = std::function<std::vector<std::string>(const Config&)>;

/// Validates `file` against the schema at `schema_path`. On success prints "FILE: ok" (and,
/// with print_effective, the effective configuration with secrets shown as ***) to `out` and
/// returns 0; otherwise prints every problem, one "FILE:LINE:COL: key 'a.b': message" line each,
/// to `err` and returns 2. `extra` runs on a configuration that loaded; each line it returns is
/// printed as "FILE: line" and makes the file invalid.
int run_check_config(const std::string& file,
                     const std::string& schema_path,
                     std::ostream& out,
                     std::ostream& err,
                     const EnvLookup& env = process_env,
                     bool print_effective = false,
                     const ExtraChecks& extra = {});

/// Adds the "check-config" subcommand: positional FILE, --print (effective configuration),
/// --schema PATH (default: default_schema_path(): built in, or --schema-dir's). Its callback prints
/// to std::cout / std::cerr and, when the file is invalid, throws CLI::RuntimeError(2), so main
/// must end parsing with CLI11_PARSE(app, argc, argv) (or return app.exit(e) on
/// CLI::ParseError) to exit with status 2 and print nothing more.
void register_check_config_command(CLI::App& app, ExtraChecks extra = {});

}  // namespace gstream::config
