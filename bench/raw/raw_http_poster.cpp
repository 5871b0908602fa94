// raw_http_poster: the bar the HTTP sink is measured against (scripts/bench SINK=http). POSTs
// every line of a file as ndjson batches of BATCH lines (the pipeline's batch.max_events), one
// request at a time over one kept-alive connection, as the sink does (Beast, synchronous); each
// answer must be 2xx. Prints the events/s.
//
//   raw_http_poster HOST PORT TARGET LINES_FILE BATCH
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "raw_payloads.hpp"

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: raw_http_poster HOST PORT TARGET LINES_FILE BATCH\n");
        return 2;
    }
    const auto lines = gstream::bench::read_lines(argv[4]);
    const auto batch = static_cast<std::size_t>(std::max(1, std::atoi(argv[5])));
    if (lines.empty()) {
        std::fprintf(stderr, "raw_http_poster: no lines in %s\n", argv[4]);
        return 1;
    }
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    boost::system::error_code ec;
    const auto endpoints = tcp::resolver(io).resolve(argv[1], argv[2], ec);
    if (!ec) {
        stream.connect(endpoints, ec);
    }
    if (ec) {
        std::fprintf(stderr, "raw_http_poster: connect: %s\n", ec.message().c_str());
        return 1;
    }
    stream.socket().set_option(tcp::no_delay(true));
    const auto started = std::chrono::steady_clock::now();
    boost::beast::flat_buffer buffer;
    for (std::size_t first = 0; first < lines.size(); first += batch) {
        http::request<http::string_body> req{http::verb::post, argv[3], 11};
        req.set(http::field::host, argv[1]);
        req.set(http::field::content_type, "application/x-ndjson");
        req.set("Idempotency-Key", std::to_string(first));
        std::string& body = req.body();
        for (std::size_t i = first; i < std::min(lines.size(), first + batch); ++i) {
            body += lines[i];
            body += '\n';
        }
        req.prepare_payload();
        http::write(stream, req, ec);
        http::response<http::string_body> res;
        if (!ec) {
            http::read(stream, buffer, res, ec);
        }
        if (ec || res.result_int() / 100 != 2) {
            std::fprintf(stderr, "raw_http_poster: request failed: %s status %u\n",
                         ec.message().c_str(), res.result_int());
            return 1;
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    gstream::bench::print_rate(lines.size(), seconds);
    return 0;
}
