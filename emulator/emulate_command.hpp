#pragma once
// `genesys-stream emulate`: runs the emulator from the command line (docs/emulator.md).

namespace CLI {
class App;
}

namespace gstream::emulator {

/// Adds the `emulate` subcommand to `app`. When run it prints exactly "listening HOST:PORT"
/// (the real port) on stdout, flushed, once it accepts connections; it runs until SIGINT or
/// SIGTERM, or (without --stay) until the whole stream was sent and closed with 1000. Bad
/// options print one line on stderr and end the parse with CLI::RuntimeError(2).
void register_emulate_command(CLI::App& app);

}  // namespace gstream::emulator
