#include "genesys/region.hpp"

#include <array>
#include <cctype>

namespace gstream::genesys {
namespace {

// API-NOTES.md §2 table, column "Region (AWS-style)" and "Domain".
constexpr std::array<Region, 18> kRegions{{
    {"us-east-1", "mypurecloud.com"},
    {"us-east-2", "use2.us-gov-pure.cloud"},
    {"us-west-2", "usw2.pure.cloud"},
    {"ca-central-1", "cac1.pure.cloud"},
    {"sa-east-1", "sae1.pure.cloud"},
    {"mx-central-1", "mxc1.pure.cloud"},
    {"eu-west-1", "mypurecloud.ie"},
    {"eu-west-2", "euw2.pure.cloud"},
    {"eu-central-1", "mypurecloud.de"},
    {"eu-central-2", "euc2.pure.cloud"},
    {"eusc-de-east-1", "edee1.eusc-pure.cloud"},
    {"me-central-1", "mec1.pure.cloud"},
    {"ap-south-1", "aps1.pure.cloud"},
    {"ap-southeast-1", "apse1.pure.cloud"},
    {"ap-southeast-2", "mypurecloud.com.au"},
    {"ap-northeast-1", "mypurecloud.jp"},
    {"ap-northeast-2", "apne2.pure.cloud"},
    {"ap-northeast-3", "apne3.pure.cloud"},
}};

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::span<const Region> all_regions() noexcept {
    return kRegions;
}

std::optional<Region> find_region(std::string_view name_or_domain) noexcept {
    for (const Region& r : kRegions) {
        if (iequals(r.aws_name, name_or_domain) || iequals(r.domain, name_or_domain)) {
            return r;
        }
    }
    return std::nullopt;
}

std::string login_origin(const Region& region) {
    return "https://login." + std::string(region.domain);
}

std::string api_origin(const Region& region) {
    return "https://api." + std::string(region.domain);
}

std::string region_names() {
    std::string out;
    for (const Region& r : kRegions) {
        if (!out.empty()) {
            out += ", ";
        }
        out += r.aws_name;
    }
    return out;
}

}  // namespace gstream::genesys
