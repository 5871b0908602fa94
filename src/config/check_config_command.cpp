#include "config/check_config_command.hpp"

#include <iostream>
#include <memory>

#include "config/config_loader.hpp"
#include "core/shipped_schemas.hpp"

namespace gstream::config {

int run_check_config(const std::string& file,
                     const std::string& schema_path,
                     std::ostream& out,
                     std::ostream& err,
                     const EnvLookup& env,
                     bool print_effective,
                     const ExtraChecks& extra) {
    try {
        const Config config = load_config_file(file, schema_path, env);
        if (extra) {
            const std::vector<std::string> problems = extra(config);
            for (const std::string& p : problems) {
                err << file << ": " << p << '\n';
            }
            if (!problems.empty()) {
                return 2;
            }
        }
        out << file << ": ok\n";
        // Which schemas judged it (stderr: with --print, stdout is YAML only).
        err << file << ": checked against the " << (core::is_built_in_schema_path(schema_path)
                                                         ? std::string("built-in schema")
                                                         : "schema " + schema_path)
            << '\n';
        if (print_effective) {
            out << to_log_string(config);
        }
        return 0;
    } catch (const ConfigError& e) {
        for (const Diagnostic& d : e.diagnostics()) {
            err << d.to_string() << '\n';
        }
        return 2;
    }
}

void register_check_config_command(CLI::App& app, ExtraChecks extra) {
    struct Options {
        std::string file;
        std::string schema;  // empty: default_schema_path() when the command runs
        bool print = false;
    };
    auto options = std::make_shared<Options>();
    CLI::App* sub = app.add_subcommand(
        "check-config", "Validate a configuration file and exit (0 = valid, 2 = invalid)");
    sub->add_option("FILE", options->file, "Configuration file (YAML)")->required();
    sub->add_flag("--print", options->print,
                  "Also print the effective configuration (defaults applied, secrets as ***)");
    sub->add_option("--schema", options->schema,
                    "Configuration schema (JSON; default: the built-in one, or --schema-dir's)");
    sub->callback([options, extra = std::move(extra)] {
        const int rc = run_check_config(options->file,
                                        options->schema.empty() ? default_schema_path()
                                                                : options->schema,
                                        std::cout, std::cerr,
                                        process_env, options->print, extra);
        if (rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

}  // namespace gstream::config
