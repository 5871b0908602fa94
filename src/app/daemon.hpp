#pragma once
// The composition root: builds every component from the configuration, in one place, and runs
// them (DESIGN.md §4). Start: config -> dead-letter queue and sinks -> admin server -> source.
// Stop (SIGTERM/SIGINT, or the end of a --once stream): not-ready -> source stops intake ->
// pipeline drains -> orderer and batcher flush -> sinks flush -> summary.

#include "config/config.hpp"

namespace gstream::app {

struct RunOptions {
    bool once = false;  ///< end when the server closes the stream with code 1000
};

/// Runs the consumer until it is stopped. Prints the summary line on stdout at exit.
/// Returns the process exit code: 0 after a clean stop, 1 after a fatal source error
/// (bad credentials, missing scope, refused subscription). Throws std::runtime_error for start-up
/// failures (unopenable files, a schema that does not compile, an address in use).
int run_daemon(const config::Config& config, const RunOptions& options);

}  // namespace gstream::app
