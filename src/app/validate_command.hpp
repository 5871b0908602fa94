#pragma once
// `genesys-stream validate [--event-type T | --schema FILE] [FILE...]`: checks JSON Lines documents
// against our schemas, one result per line; exit 1 if any is invalid, 2 on a usage or schema error.

namespace CLI {
class App;
}

namespace gstream::app {

void register_validate_command(CLI::App& app);

}  // namespace gstream::app
