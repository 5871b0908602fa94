#pragma once
// Start-up errors of the configuration loader (STYLE.md rule 5: exceptions only at start-up).

#include <stdexcept>
#include <string>
#include <vector>

namespace gstream::config {

/// One problem in a configuration (or schema) file. line and column are 1-based; 0 = unknown.
struct Diagnostic {
    std::string file;
    int line = 0;
    int column = 0;
    std::string key;  ///< dotted path, e.g. "sinks[0].path"; empty when the problem has no key
    std::string message;

    /// "FILE:LINE:COL: key 'a.b': message" (parts without a value are left out). One line.
    std::string to_string() const;
};

/// Thrown by the loader. what() is the first diagnostic's to_string(); diagnostics() holds every
/// problem found, in file order.
class ConfigError : public std::runtime_error {
public:
    explicit ConfigError(std::vector<Diagnostic> diagnostics);
    explicit ConfigError(Diagnostic diagnostic);

    const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<Diagnostic> diagnostics_;
};

}  // namespace gstream::config
