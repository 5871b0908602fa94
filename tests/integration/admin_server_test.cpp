#include "ops/admin_server.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "ops/metrics.hpp"
#include "unit/ops/promtool_check.hpp"

namespace gstream::ops {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// The server on its own io_context thread, as the daemon runs it.
class AdminServerTest : public ::testing::Test {
protected:
    void start(AdminTimeouts timeouts = {}) {
        server_ = std::make_unique<AdminServer>(
            ioc_, "127.0.0.1:0", [this] { return metrics_.serialize(); },
            [this] {
                std::lock_guard lock(mutex_);
                return ready_;
            },
            timeouts);
        server_->start();
        ASSERT_NE(server_->port(), 0);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    void TearDown() override {
        if (server_) {
            server_->stop();
        }
        work_.reset();
        if (thread_.joinable()) {
            thread_.join();  // returns only once stop() ended the accept loop and every session
        }
    }

    void set_ready(ReadyState state) {
        std::lock_guard lock(mutex_);
        ready_ = std::move(state);
    }

    tcp::socket connect() {
        tcp::socket socket(client_ioc_);
        socket.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
        return socket;
    }

    http::response<http::string_body> request(tcp::socket& socket,
                                              http::verb method,
                                              std::string target,
                                              bool keep_alive = true) {
        http::request<http::string_body> req{method, target, 11};
        req.set(http::field::host, "127.0.0.1");
        req.keep_alive(keep_alive);
        req.prepare_payload();
        http::write(socket, req);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        return res;
    }

    http::response<http::string_body> get(std::string target) {
        auto socket = connect();
        return request(socket, http::verb::get, std::move(target), false);
    }

    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(ioc_);
    asio::io_context client_ioc_;
    Metrics metrics_{"0.1.0"};
    std::mutex mutex_;
    ReadyState ready_{false, {"stream disconnected"}};
    std::unique_ptr<AdminServer> server_;
    std::thread thread_;
};

TEST_F(AdminServerTest, MetricsPassPromtool) {
    start();
    metrics_.events_received().Increment(7);
    const auto res = get("/metrics");
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(res.body().find("\ngenesys_stream_events_received_total 7\n"), std::string::npos);
    const auto check = test::promtool_check_metrics(res.body());
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_EQ(check.output, "");
}

TEST_F(AdminServerTest, HealthzAndReadyzFlip) {
    start();
    const auto health = get("/healthz");
    EXPECT_EQ(health.result(), http::status::ok);
    EXPECT_EQ(health.body(), "ok");

    auto ready = get("/readyz");
    EXPECT_EQ(ready.result(), http::status::service_unavailable);
    EXPECT_EQ(ready.body(), "not ready: stream disconnected");

    set_ready({false, {"stream disconnected", "dead-letter queue unavailable"}});
    ready = get("/readyz");
    EXPECT_EQ(ready.body(), "not ready: stream disconnected; dead-letter queue unavailable");

    set_ready({true, {}});
    ready = get("/readyz?verbose=1");
    EXPECT_EQ(ready.result(), http::status::ok);
    EXPECT_EQ(ready.body(), "ready");

    set_ready({false, {}});
    ready = get("/readyz");
    EXPECT_EQ(ready.result(), http::status::service_unavailable);
    EXPECT_EQ(ready.body(), "not ready");
}

TEST_F(AdminServerTest, UnknownPathAndMethod) {
    start();
    EXPECT_EQ(get("/nope").result(), http::status::not_found);
    EXPECT_EQ(get("/metrics/").result(), http::status::not_found);

    auto socket = connect();
    const auto post = request(socket, http::verb::post, "/metrics", false);
    EXPECT_EQ(post.result(), http::status::method_not_allowed);
    EXPECT_EQ(post[http::field::allow], "GET");
}

TEST_F(AdminServerTest, KeepAliveServesManyRequestsOnOneConnection) {
    start();
    auto socket = connect();
    for (int i = 0; i < 3; ++i) {
        const auto res = request(socket, http::verb::get, "/healthz", true);
        EXPECT_EQ(res.result(), http::status::ok);
        EXPECT_TRUE(res.keep_alive());
    }
    const auto last = request(socket, http::verb::get, "/readyz", false);
    EXPECT_EQ(last.result(), http::status::service_unavailable);
    EXPECT_FALSE(last.keep_alive());
    // The server closed its side after a Connection: close response.
    beast::flat_buffer buffer;
    http::response<http::string_body> extra;
    boost::system::error_code ec;
    http::read(socket, buffer, extra, ec);
    EXPECT_EQ(ec, http::error::end_of_stream);
}

TEST_F(AdminServerTest, MalformedRequestsGet400AndServerKeepsServing) {
    start();
    const std::string garbage[] = {
        "BLAH\r\n\r\n",
        "GET /metrics HTTP/9.9\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nContent-Length: 5000\r\n\r\n",  // over the body limit
        "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n",  // over the header limit
        std::string("\0\xff\xfe\r\n\r\n", 7),
    };
    for (const auto& bytes : garbage) {
        auto socket = connect();
        asio::write(socket, asio::buffer(bytes));
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        boost::system::error_code ec;
        http::read(socket, buffer, res, ec);
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_EQ(res.result(), http::status::bad_request);
        EXPECT_FALSE(res.keep_alive());
    }
    EXPECT_EQ(get("/healthz").body(), "ok");
}

TEST_F(AdminServerTest, IdleConnectionIsClosedAfterReadTimeout) {
    start({std::chrono::milliseconds(200), std::chrono::milliseconds(200)});
    auto socket = connect();
    // Half a request, then silence: the server's read deadline closes the connection.
    asio::write(socket, asio::buffer(std::string_view("GET /healthz HTTP/1.1\r\n")));
    const auto started = std::chrono::steady_clock::now();
    char byte = 0;
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(asio::buffer(&byte, 1), ec);  // blocks until close
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_EQ(get("/healthz").body(), "ok");
}

TEST_F(AdminServerTest, StopClosesOpenConnections) {
    start();
    auto socket = connect();
    EXPECT_EQ(request(socket, http::verb::get, "/healthz", true).result(), http::status::ok);
    server_->stop();
    char byte = 0;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    work_.reset();
    thread_.join();  // the io_context ran out of work: no coroutine is left
}

TEST(AdminServerStartTest, BusyPortNamesAddressAndOption) {
    asio::io_context ioc;
    AdminServer first(
        ioc, "127.0.0.1:0", [] { return std::string(); }, [] { return ReadyState{}; });
    first.start();
    const std::string taken = "127.0.0.1:" + std::to_string(first.port());
    AdminServer second(
        ioc, taken, [] { return std::string(); }, [] { return ReadyState{}; });
    try {
        second.start();
        FAIL() << "second bind succeeded";
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(taken), std::string::npos) << what;
        EXPECT_NE(what.find("metrics.listen"), std::string::npos) << what;
    }
}

TEST(AdminServerStartTest, MalformedListenAddresses) {
    asio::io_context ioc;
    for (const std::string listen : {"9090", "127.0.0.1:http", "127.0.0.1:70000", "::1:9090",
                                     "127.0.0.1:", "no-such-host.invalid:9090"}) {
        AdminServer server(
            ioc, listen, [] { return std::string(); }, [] { return ReadyState{}; });
        try {
            server.start();
            FAIL() << listen << " was accepted";
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(listen), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("metrics.listen"), std::string::npos) << e.what();
        }
    }
}

TEST(AdminServerStartTest, Ipv6Loopback) {
    asio::io_context ioc;
    AdminServer server(
        ioc, "[::1]:0", [] { return std::string(); }, [] { return ReadyState{}; });
    try {
        server.start();
    } catch (const std::runtime_error& e) {
        GTEST_SKIP() << "no IPv6 loopback here: " << e.what();
    }
    EXPECT_NE(server.port(), 0);
}

}  // namespace
}  // namespace gstream::ops
