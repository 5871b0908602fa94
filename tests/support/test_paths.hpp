#pragma once
// Paths the tests read: the built binary, the source tree, ../shared and the JSON-Schema test
// suite. They are fixed at configure time in a generated header that only test_paths.cpp
// includes, so that a build in another folder (CI's clone) recompiles that one file and takes
// every other test file from the compiler cache.

#include <string>

namespace gstream::testing {

const std::string& binary_path();       ///< the genesys-stream executable
const std::string& source_dir();        ///< the checkout's root
const std::string& shared_dir();        ///< ../shared beside the checkout (GSTREAM_SHARED_DIR)
const std::string& test_suite_dir();    ///< the JSON-Schema test suite's draft7 tests
const std::string& kafka_mock_cluster_path();  ///< tests/tools/kafka_mock_cluster, built
const std::string& build_dir();         ///< this preset's build folder (install rules, CPack config)
const std::string& cmake_command();     ///< the cmake that configured it (for `cmake --install`)
const std::string& cpack_command();     ///< its cpack
const std::string& project_version();   ///< CMakeLists.txt's project(VERSION), e.g. "0.1.0"

}  // namespace gstream::testing

#define GSTREAM_BINARY (::gstream::testing::binary_path())
#define GSTREAM_SOURCE_DIR (::gstream::testing::source_dir())
#define GSTREAM_SHARED_DIR (::gstream::testing::shared_dir())
#define GSTREAM_TEST_SUITE_DIR (::gstream::testing::test_suite_dir())
