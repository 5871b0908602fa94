#include "genesys/log.hpp"

#include <spdlog/spdlog.h>

namespace gstream::genesys {

std::shared_ptr<spdlog::logger> logger() {
    static const std::shared_ptr<spdlog::logger> log = [] {
        if (auto existing = spdlog::get("genesys")) {
            return existing;
        }
        auto created = spdlog::default_logger()->clone("genesys");
        spdlog::register_logger(created);
        return created;
    }();
    return log;
}

}  // namespace gstream::genesys
