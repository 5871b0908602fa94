#include "support/test_paths.hpp"

#include "test_paths_generated.hpp"

namespace gstream::testing {

const std::string& binary_path() {
    static const std::string path = GSTREAM_BINARY_PATH;
    return path;
}

const std::string& source_dir() {
    static const std::string path = GSTREAM_SOURCE_DIR_PATH;
    return path;
}

const std::string& shared_dir() {
    static const std::string path = GSTREAM_SHARED_DIR_PATH;
    return path;
}

const std::string& test_suite_dir() {
    static const std::string path = GSTREAM_TEST_SUITE_DIR_PATH;
    return path;
}

const std::string& kafka_mock_cluster_path() {
    static const std::string path = GSTREAM_KAFKA_MOCK_CLUSTER_PATH;
    return path;
}

const std::string& build_dir() {
    static const std::string path = GSTREAM_BUILD_DIR_PATH;
    return path;
}

const std::string& cmake_command() {
    static const std::string path = GSTREAM_CMAKE_COMMAND_PATH;
    return path;
}

const std::string& cpack_command() {
    static const std::string path = GSTREAM_CPACK_COMMAND_PATH;
    return path;
}

const std::string& project_version() {
    static const std::string version = GSTREAM_PROJECT_VERSION;
    return version;
}

}  // namespace gstream::testing
