#include "config/config_error.hpp"

#include <utility>

namespace gstream::config {

std::string Diagnostic::to_string() const {
    std::string out = file;
    if (line > 0) {
        out += ':' + std::to_string(line) + ':' + std::to_string(column);
    }
    out += ": ";
    if (!key.empty()) {
        out += "key '" + key + "': ";
    }
    out += message;
    return out;
}

namespace {
std::string first_line(const std::vector<Diagnostic>& diagnostics) {
    return diagnostics.empty() ? std::string("configuration error")
                               : diagnostics.front().to_string();
}
}  // namespace

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(first_line(diagnostics))
    , diagnostics_(std::move(diagnostics)) {}

ConfigError::ConfigError(Diagnostic diagnostic)
    : ConfigError(std::vector<Diagnostic>{std::move(diagnostic)}) {}

}  // namespace gstream::config
