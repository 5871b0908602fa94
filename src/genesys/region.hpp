#pragma once
// Genesys Cloud regions: the AWS-style region name and the Genesys domain it maps to.
//
// Source: shared/genesys/API-NOTES.md §2 (the SDK region-host tables of
// purecloudlabs/platform-client-sdk-common and the Terraform provider's getRegionMap). Hosts are
// built from the domain, never from the AWS name: "api.us-east-1.mypurecloud.com" does not exist.
// af-south-1 is not a Genesys region.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gstream::genesys {

/// One region. Both fields point at static storage.
struct Region {
    std::string_view aws_name;  ///< e.g. "us-east-1"
    std::string_view domain;    ///< e.g. "mypurecloud.com"

    friend bool operator==(const Region&, const Region&) = default;
};

/// All 18 public regions, in the order of API-NOTES.md §2.
std::span<const Region> all_regions() noexcept;

/// The region whose AWS-style name or Genesys domain equals `name_or_domain` (ASCII
/// case-insensitive; surrounding whitespace is not trimmed). std::nullopt when unknown.
std::optional<Region> find_region(std::string_view name_or_domain) noexcept;

/// "https://login.<domain>": the OAuth host (POST /oauth/token).
std::string login_origin(const Region& region);

/// "https://api.<domain>": the REST and envelope-stream host.
std::string api_origin(const Region& region);

/// The AWS-style names joined with ", " (for error messages that list the valid choices).
std::string region_names();

}  // namespace gstream::genesys
