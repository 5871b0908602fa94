#pragma once
// The install tree for the packaging tests: `cmake --install` of this build into a scratch root,
// and the files below a root.

#include <set>
#include <string>
#include <utility>

namespace gstream::testing {

/// `DESTDIR=<root> cmake --install <build> --prefix /usr --strip`: the Debian package's layout
/// under `root`. Returns the exit code and the combined output.
std::pair<int, std::string> install_into(const std::string& root);

/// Every regular file below `root`, as absolute paths inside it ("/usr/bin/genesys-stream").
std::set<std::string> files_below(const std::string& root);

/// The environment that the packaged configuration reads (/etc/genesys-stream/env's variables),
/// as a shell prefix: "GENESYS_CLIENT_ID=demo ... ".
inline const std::string kPackagedCredentials =
    "GENESYS_CLIENT_ID=demo GENESYS_CLIENT_SECRET=demo GENESYS_REGION=us-east-1 ";

}  // namespace gstream::testing
