#pragma once
// ${VAR} and ${VAR:-default} substitution in configuration scalar values.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gstream::config {

/// Looks up an environment variable; std::nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (std::getenv). Not thread-safe against concurrent setenv.
std::optional<std::string> process_env(std::string_view name);

/// A lookup over a fixed map (tests).
EnvLookup env_from_map(std::map<std::string, std::string, std::less<>> vars);

/// The outcome of substitute_env: the text, or an error message when error is not empty.
struct EnvSubstitution {
    std::string text;
    std::string error;     ///< e.g. "environment variable 'PORT' is not set (...)"
    bool changed = false;  ///< at least one ${...} or $$ was replaced

    bool ok() const noexcept { return error.empty(); }
};

/// Replaces, left to right:
///   ${NAME}          the value of NAME; an error if NAME is unset (set but empty gives "")
///   ${NAME:-default} the value of NAME, or `default` when NAME is unset or empty (shell rules)
///   $$               a literal '$'
/// NAME is [A-Za-z_][A-Za-z0-9_]*; the default runs to the first '}' and is not substituted
/// again. Any other '$' is kept as it is. An unterminated "${" or a bad name is an error.
EnvSubstitution substitute_env(std::string_view text, const EnvLookup& env);

}  // namespace gstream::config
