// wss:// and https:// with a test CA (openssl CLI), and verification failures.
#include <filesystem>

#include <gtest/gtest.h>

#include "source/source.hpp"
#include "tests/support/fake_genesys_server.hpp"

namespace gstream::source {
namespace {

using namespace std::chrono_literals;
using testing::FakeGenesysServer;
using testing::RecordingObserver;
using testing::WsAction;
using Events = std::vector<std::string>;

class SourceTlsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { certs_ = new testing::TestCerts(testing::make_test_certs()); }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(certs_->dir);
        delete certs_;
    }

    SourceOptions options(const FakeGenesysServer& server) {
        SourceOptions o;
        o.stream_url = "wss://127.0.0.1:" + std::to_string(server.port()) +
                       FakeGenesysServer::kStreamPath;
        o.max_message_bytes = 1 << 20;
        o.connect_timeout_ms = 5000;
        o.ping_interval_ms = 5000;
        o.idle_timeout_ms = 10000;
        o.reconnect_initial_ms = 10;
        o.reconnect_max_ms = 50;
        o.subscribe_max_attempts = 2;
        o.token_refresh_margin_ms = 1000;
        o.ca_file = certs_->ca_cert;
        o.once = true;
        return o;
    }
    void run_until_finished(SourceOptions o) {
        auto source = make_envelope_source(io_.io(), std::move(o), observer_);
        source->start();
        const bool done = observer_.wait_for_event("finished");
        if (!done) source->stop();
        EXPECT_TRUE(done || observer_.wait_for_event("finished"));
        io_.stop();
    }
    void run_until_tls_failure(SourceOptions o) {
        auto source = make_envelope_source(io_.io(), std::move(o), observer_);
        source->start();
        EXPECT_TRUE(observer_.wait_for_event("disconnected:tls"));
        source->stop();
        EXPECT_TRUE(observer_.wait_for_event("finished"));
        io_.stop();
    }

    static testing::TestCerts* certs_;
    testing::IoThread io_;
    RecordingObserver observer_;
};

testing::TestCerts* SourceTlsTest::certs_ = nullptr;

TEST_F(SourceTlsTest, WssWithTheTestCa) {
    FakeGenesysServer server({certs_->server_cert, certs_->server_key});
    server.push_ws_script({0, {}, {}, {WsAction::text("secure"), WsAction::close(1000)}});
    run_until_finished(options(server));
    EXPECT_EQ(observer_.events(),
              (Events{"connected", "frame:secure", "disconnected:closed_by_peer", "finished"}));
}

TEST_F(SourceTlsTest, HttpsOAuthSubscriptionAndWss) {
    FakeGenesysServer server({certs_->server_cert, certs_->server_key});
    server.push_ws_script({0, {}, {}, {WsAction::text("m"), WsAction::close(1000)}});
    SourceOptions o = options(server);
    o.stream_url.clear();
    o.login_origin = server.origin();
    o.api_origin = server.origin();
    o.client_id = "c";
    o.client_secret = "s";
    o.queues = {"q1"};
    run_until_finished(o);
    EXPECT_EQ(observer_.frames(), (Events{"m"}));
    EXPECT_EQ(server.requests(FakeGenesysServer::kTokenPath).size(), 1u);
    EXPECT_EQ(server.requests(FakeGenesysServer::kSubscriptionPath).size(), 1u);
    EXPECT_EQ(server.origin().rfind("https://", 0), 0u);
}

TEST_F(SourceTlsTest, UnknownCaFailsVerification) {
    FakeGenesysServer server({certs_->server_cert, certs_->server_key});
    SourceOptions o = options(server);
    o.ca_file = certs_->other_ca_cert;
    run_until_tls_failure(o);
    EXPECT_TRUE(server.requests(FakeGenesysServer::kStreamPath).empty());
    EXPECT_NE(observer_.details()[0].find("certificate verify failed"), std::string::npos)
        << observer_.details()[0];
}

TEST_F(SourceTlsTest, HostNameMismatchFailsVerification) {
    FakeGenesysServer server({certs_->wrong_host_cert, certs_->wrong_host_key});
    run_until_tls_failure(options(server));
    EXPECT_TRUE(server.requests(FakeGenesysServer::kStreamPath).empty());
}

TEST_F(SourceTlsTest, VerificationCanBeTurnedOff) {
    FakeGenesysServer server({certs_->wrong_host_cert, certs_->wrong_host_key});
    server.push_ws_script({0, {}, {}, {WsAction::close(1000)}});
    SourceOptions o = options(server);
    o.ca_file = certs_->other_ca_cert;
    o.tls_verify = false;
    run_until_finished(o);
    EXPECT_EQ(observer_.events(),
              (Events{"connected", "disconnected:closed_by_peer", "finished"}));
}

TEST_F(SourceTlsTest, HttpsTokenWithUnknownCaIsRetriedNotFatal) {
    FakeGenesysServer server({certs_->server_cert, certs_->server_key});
    SourceOptions o = options(server);
    o.stream_url.clear();
    o.login_origin = server.origin();
    o.api_origin = server.origin();
    o.ca_file = certs_->other_ca_cert;
    auto source = make_envelope_source(io_.io(), std::move(o), observer_);
    source->start();
    EXPECT_TRUE(observer_.wait_for_event("finished", 10s));
    const Events events = observer_.events();
    ASSERT_EQ(events.size(), 2u);
    EXPECT_NE(events[0].find("certificate verify failed"), std::string::npos) << events[0];
    EXPECT_NE(events[0].find("gave up after 2 attempts"), std::string::npos) << events[0];
    io_.stop();
}

TEST(SourceTlsConfigTest, MissingCaFileThrowsAtStartUp) {
    testing::IoThread io;
    RecordingObserver observer;
    SourceOptions o;
    o.stream_url = "wss://127.0.0.1:1/x";
    o.ca_file = "/nonexistent/ca.pem";
    EXPECT_THROW(make_envelope_source(io.io(), o, observer), std::runtime_error);
}

}  // namespace
}  // namespace gstream::source
