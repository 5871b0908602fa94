// genesys-stream: the command line (CLI11 only). Each subcommand is registered explicitly here.
#include <csignal>
#include <cstdio>
#include <exception>
#include <string>

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
    CLI::App app{"genesys-stream: a consumer of Genesys Cloud contact-center event streams"};
    app.require_subcommand(1);
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
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return 0;
}
