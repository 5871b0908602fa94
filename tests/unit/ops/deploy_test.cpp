// The shipped Prometheus alert rules parse and name only metrics we export.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "ops/metrics.hpp"
#include "support/test_paths.hpp"

namespace {

TEST(Deploy, AlertRulesPassPromtoolAndUseExportedMetrics) {
    const std::string rules = std::string(GSTREAM_SOURCE_DIR) + "/deploy/prometheus/alerts.yml";
    FILE* pipe = ::popen(("promtool check rules " + rules + " 2>&1").c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) {
        output += buf;
    }
    const int status = ::pclose(pipe);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("SUCCESS: 6 rules found"), std::string::npos) << output;
    const std::string exported = gstream::ops::Metrics("test").serialize();
    for (const char* name :
         {"genesys_stream_connected", "genesys_stream_reconnects_total",
          "genesys_stream_events_dead_lettered_total", "genesys_stream_events_received_total",
          "genesys_stream_events_delivered_total", "genesys_stream_end_to_end_latency_seconds_bucket"}) {
        EXPECT_NE(exported.find(name), std::string::npos) << name;
    }
}

}  // namespace
