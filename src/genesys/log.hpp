#pragma once
// The "genesys" logger of the REST clients (OAuth, notification channels). gstream_core does not
// link src/ops, so this takes the logger setup_logging() registered under that name, else a clone
// of spdlog's default logger. Thread-safe.

#include <memory>

#include <spdlog/logger.h>

namespace gstream::genesys {

std::shared_ptr<spdlog::logger> logger();

}  // namespace gstream::genesys
