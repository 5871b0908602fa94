#include "support/install_tree.hpp"

#include <filesystem>

#include "support/integration.hpp"
#include "support/test_paths.hpp"

namespace gstream::testing {

std::pair<int, std::string> install_into(const std::string& root) {
    return run_shell("DESTDIR=" + root + " " + cmake_command() + " --install " + build_dir() +
                     " --prefix /usr --strip 2>&1");
}

std::set<std::string> files_below(const std::string& root) {
    std::set<std::string> files;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
        if (e.is_regular_file()) {
            files.insert(e.path().string().substr(root.size()));
        }
    }
    return files;
}

}  // namespace gstream::testing
