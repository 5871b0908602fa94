// bench_http_receiver: the HTTP endpoint of scripts/bench SINK=http. Listens on 127.0.0.1 (port
// 0), prints "listening PORT", and answers every request 200 with an empty body, keeping the
// connection alive; one thread per connection. Counts the ndjson lines it received and prints
// "received N" on stderr when a connection closes. Lives until killed.
#include <algorithm>
#include <cstdio>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

namespace {

// Reads requests until the peer closes; answers each 200.
void serve(tcp::socket socket) {
    boost::beast::tcp_stream stream(std::move(socket));
    stream.socket().set_option(tcp::no_delay(true));
    boost::beast::flat_buffer buffer;
    std::size_t lines = 0;
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        boost::system::error_code ec;
        http::read(stream, buffer, parser, ec);
        if (ec) {
            break;
        }
        const std::string& body = parser.get().body();
        lines += static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
        http::response<http::empty_body> res{http::status::ok, 11};
        res.keep_alive(parser.get().keep_alive());
        res.prepare_payload();
        http::write(stream, res, ec);
        if (ec || !parser.get().keep_alive()) {
            break;
        }
    }
    std::fprintf(stderr, "received %zu\n", lines);
}

}  // namespace

int main() {
    boost::asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    std::printf("listening %u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    for (;;) {
        tcp::socket socket(io);
        acceptor.accept(socket);
        std::thread(&serve, std::move(socket)).detach();
    }
}
