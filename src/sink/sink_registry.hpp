#pragma once
// The sink registry: the one place where a configured sink's `type` picks the code that builds it
// (STYLE.md rule 3: registered explicitly, in one function, no static self-registration). The
// daemon, `dlq replay` and `check-config` all build or check sinks through it.
//
// Adding a sink type: its folder `src/sink/<type>/`, one entry in kSinkTypes (sink_registry.cpp),
// its branch of `sinks[]` in schemas/config.schema.json, and its section in the docs.
//
// Thread-safety: the functions are pure or build a new sink; call them from any thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "sink/sink.hpp"

namespace gstream::sink {

/// The sink `config` describes, opened and ready for write_batch(); its name() is
/// `config.name`. Throws std::runtime_error naming the sink and the cause when it cannot be
/// opened (start-up) or when `config.type` is not registered.
std::unique_ptr<Sink> make_sink(const config::SinkConfig& config);

/// Checks a sink's settings offline (no file opened, no network call), for `check-config`: empty
/// when they are usable, else one line naming the sink and what to change.
std::string check_sink(const config::SinkConfig& config);
/// check_sink() of every configured sink: one line per problem (config::ExtraChecks).
std::vector<std::string> check_sinks(const config::Config& config);

}  // namespace gstream::sink
