#pragma once
// Reading a sink's own keys (config::SinkConfig::settings) in its type's code. The schema has
// already typed them and applied their defaults, so these only pick a value out; a key the
// schema does not declare for the type never reaches here.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace gstream::sink {

/// The string at `key`, or `fallback` when absent (or not a string).
std::string setting_string(const config::SinkConfig& sink, std::string_view key,
                           std::string_view fallback = {});
/// The integer at `key`, or `fallback` when absent.
std::int64_t setting_int(const config::SinkConfig& sink, std::string_view key,
                         std::int64_t fallback);
/// The boolean at `key`, or `fallback` when absent.
bool setting_bool(const config::SinkConfig& sink, std::string_view key, bool fallback);
/// The strings of an array at `key` (a single string is a list of one); empty when absent.
std::vector<std::string> setting_strings(const config::SinkConfig& sink, std::string_view key);
/// A map of strings at `key` (numbers and booleans as their text); empty when absent.
std::map<std::string, std::string> setting_map(const config::SinkConfig& sink,
                                               std::string_view key);

}  // namespace gstream::sink
