// genesys-stream: the command line (CLI11 only). Each subcommand is registered explicitly here.
#include <csignal>
#include <cstdio>
#include <exception>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/daemon.hpp"
#include "app/validate_command.hpp"
#include "config/check_config_command.hpp"
#include "config/config_loader.hpp"
#include "dlq/dlq_command.hpp"
#include "emulator/emulate_command.hpp"
#include "sink/sink_registry.hpp"

int main(int argc, char** argv) {
    // Past RLIMIT_FSIZE, write(2) then fails with EFBIG (handled like ENOSPC) instead of a kill.
    std::signal(SIGXFSZ, SIG_IGN);
    // A pipe sink whose reader went away: write(2) fails with EPIPE (the sink retries) instead
    // of the process being killed.
    std::signal(SIGPIPE, SIG_IGN);
    // --schema-dir replaces the built-in schemas for every subcommand, wherever it stands on the
    // line: it is taken out of the arguments here and sets $GSTREAM_SCHEMA_DIR, which
    // config::shipped_schema_dir() reads, before any subcommand's defaults are read.
    std::vector<char*> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--schema-dir" && i + 1 < argc) {
            ::setenv("GSTREAM_SCHEMA_DIR", argv[++i], 1);
        } else if (a.starts_with("--schema-dir=")) {
            ::setenv("GSTREAM_SCHEMA_DIR", argv[i] + std::string_view("--schema-dir=").size(), 1);
        } else {
            args.push_back(argv[i]);
        }
    }
    CLI::App app{"genesys-stream: a consumer of Genesys Cloud contact-center event streams"};
    app.require_subcommand(1);
    app.footer("--schema-dir DIR, anywhere on the line (or $GSTREAM_SCHEMA_DIR): read the schemas "
               "(config.schema.json, events/) from DIR instead of the built-in ones.");
    app.set_version_flag("--version", "genesys-stream 0.1.0");

    std::string config_path;
    bool once = false;
    CLI::App* run = app.add_subcommand("run", "Consume the configured stream into the sinks");
    run->add_option("--config,-c", config_path, "Configuration file (YAML)")->required();
    run->add_flag("--once", once, "Stop when the server closes the stream with code 1000");
    run->callback([&] {
        try {
            const auto config = gstream::config::load_config_file(
                config_path, gstream::config::shipped_schema_dir() + "/config.schema.json");
            throw CLI::RuntimeError(gstream::app::run_daemon(config, {once}));
        } catch (const CLI::RuntimeError&) {
            throw;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "genesys-stream: %s\n", e.what());
            throw CLI::RuntimeError(2);
        }
    });

    gstream::emulator::register_emulate_command(app);
    gstream::config::register_check_config_command(app, &gstream::sink::check_sinks);
    gstream::app::register_validate_command(app);
    gstream::dlq::register_dlq_command(app);

    try {
        app.parse(static_cast<int>(args.size()), args.data());
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}
