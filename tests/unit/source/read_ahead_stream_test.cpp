// WsFrameScanner over split streams, and WebSocketSession reading a burst of messages from memory
// (ReadAheadStream under Beast) against a raw loopback server that writes the upgrade response and
// all its frames at once.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "source/read_ahead_stream.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>

#include "source/websocket_connection.hpp"

namespace gstream::source {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr const char* kResponse =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: x\r\n\r\n";

enum class Len { kMinimal, k16, k64 };

// One server-to-client frame (unmasked unless `masked`).
std::string frame(bool fin, unsigned opcode, const std::string& payload, bool masked = false,
                  Len len = Len::kMinimal) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    const std::uint64_t n = payload.size();
    const char mask_bit = masked ? static_cast<char>(0x80) : 0;
    if (len == Len::kMinimal && n < 126) {
        out.push_back(static_cast<char>(mask_bit | static_cast<char>(n)));
    } else if ((len == Len::kMinimal && n < 65536) || len == Len::k16) {
        out.push_back(static_cast<char>(mask_bit | 126));
        out.push_back(static_cast<char>(n >> 8));
        out.push_back(static_cast<char>(n & 0xFF));
    } else {
        out.push_back(static_cast<char>(mask_bit | 127));
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
    }
    if (masked) {
        const std::array<char, 4> key{'\x12', '\x34', '\x56', '\x78'};
        out.append(key.data(), key.size());
        for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(payload[i] ^ key[i % 4]);
    } else {
        out += payload;
    }
    return out;
}

std::uint64_t scan_all(WsFrameScanner& scanner, const std::string& bytes) {
    scanner.scan(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    return scanner.complete_messages();
}

// A stream with every frame shape, and the offsets just past each complete data message.
struct Stream {
    std::string bytes;
    std::vector<std::size_t> message_ends;
    void add(const std::string& f, bool completes_message) {
        bytes += f;
        if (completes_message) message_ends.push_back(bytes.size());
    }
};

Stream every_shape() {
    Stream s;
    s.bytes = kResponse;
    s.add(frame(true, 0x1, ""), true);
    s.add(frame(true, 0x1, "hello"), true);
    s.add(frame(true, 0x1, std::string(125, 'a')), true);
    s.add(frame(true, 0x1, std::string(126, 'b')), true);     // 16-bit length
    s.add(frame(true, 0x2, std::string(300, 'c')), true);     // binary counts too
    s.add(frame(true, 0x1, std::string(65535, 'd')), true);   // largest 16-bit length
    s.add(frame(true, 0x1, std::string(65536, 'e')), true);   // 64-bit length
    s.add(frame(true, 0x1, "f", false, Len::k64), true);      // non-minimal 64-bit length
    s.add(frame(true, 0x1, "g", false, Len::k16), true);      // non-minimal 16-bit length
    s.add(frame(true, 0x9, "ping-1"), false);                 // control frames do not count
    s.add(frame(false, 0x1, "frag-"), false);                 // fragmented, ping and pong inside
    s.add(frame(true, 0x9, "ping-2"), false);
    s.add(frame(false, 0x0, std::string(200, 'h')), false);
    s.add(frame(true, 0xA, ""), false);
    s.add(frame(true, 0x0, "ment"), true);
    s.add(frame(true, 0x1, "masked", true), true);            // honours MASK and its key
    s.add(frame(true, 0x1, std::string(130, 'i'), true), true);
    s.add(frame(true, 0x1, "last"), true);
    return s;
}

TEST(WsFrameScanner, CountsEveryShapeFedInOneRead) {
    const Stream s = every_shape();
    WsFrameScanner scanner;
    EXPECT_EQ(scan_all(scanner, s.bytes), s.message_ends.size());
    EXPECT_EQ(s.message_ends.size(), 13u);
    EXPECT_TRUE(scanner.upgraded());
    EXPECT_FALSE(scanner.stopped());
}

TEST(WsFrameScanner, CountIsExactAfterEveryByte) {
    const Stream s = every_shape();
    WsFrameScanner scanner;
    std::size_t expected = 0;
    const auto* data = reinterpret_cast<const unsigned char*>(s.bytes.data());
    for (std::size_t i = 0; i < s.bytes.size(); ++i) {
        scanner.scan(data + i, 1);
        while (expected < s.message_ends.size() && s.message_ends[expected] <= i + 1) ++expected;
        ASSERT_EQ(scanner.complete_messages(), expected) << "after byte " << i;
    }
    EXPECT_EQ(expected, s.message_ends.size());
}

TEST(WsFrameScanner, AnyTwoWaySplitGivesTheSameCount) {
    // Headers and the HTTP terminator split at every byte of the first 600 bytes (the response
    // and the small frames), and a few splits inside the large payloads.
    const Stream s = every_shape();
    std::vector<std::size_t> splits;
    for (std::size_t k = 0; k <= 600; ++k) splits.push_back(k);
    for (std::size_t k = 600; k < s.bytes.size(); k += 997) splits.push_back(k);
    const auto* data = reinterpret_cast<const unsigned char*>(s.bytes.data());
    for (const std::size_t k : splits) {
        WsFrameScanner scanner;
        scanner.scan(data, k);
        scanner.scan(data + k, s.bytes.size() - k);
        ASSERT_EQ(scanner.complete_messages(), s.message_ends.size()) << "split at " << k;
    }
}

TEST(WsFrameScanner, NothingCountsBeforeTheEndOfTheHttpResponse) {
    WsFrameScanner scanner;
    // Frame-like bytes inside the response headers are not frames.
    const std::string head = "HTTP/1.1 101 Switching Protocols\r\nX: \x81\x01" "a\r\n\r";
    EXPECT_EQ(scan_all(scanner, head), 0u);
    EXPECT_FALSE(scanner.upgraded());
    EXPECT_EQ(scan_all(scanner, "\n" + frame(true, 0x1, "a")), 1u);
    EXPECT_TRUE(scanner.upgraded());
}

TEST(WsFrameScanner, CloseFrameEndsCounting) {
    WsFrameScanner scanner;
    const std::string bytes = std::string(kResponse) + frame(true, 0x1, "a") +
                              frame(true, 0x8, std::string("\x03\xe8", 2)) + frame(true, 0x1, "b");
    EXPECT_EQ(scan_all(scanner, bytes), 1u);
    EXPECT_TRUE(scanner.stopped());
}

TEST(WsFrameScanner, FramingItCannotFollowEndsCounting) {
    {
        WsFrameScanner scanner;  // continuation outside a message
        EXPECT_EQ(scan_all(scanner, std::string(kResponse) + frame(true, 0x1, "a") +
                                        frame(true, 0x0, "b") + frame(true, 0x1, "c")),
                  1u);
        EXPECT_TRUE(scanner.stopped());
    }
    {
        WsFrameScanner scanner;  // a new data frame inside a fragmented message
        EXPECT_EQ(scan_all(scanner, std::string(kResponse) + frame(false, 0x1, "a") +
                                        frame(true, 0x1, "b") + frame(true, 0x1, "c")),
                  0u);
        EXPECT_TRUE(scanner.stopped());
    }
    {
        WsFrameScanner scanner;  // reserved opcode
        EXPECT_EQ(scan_all(scanner, std::string(kResponse) + frame(true, 0x3, "a") +
                                        frame(true, 0x1, "b")),
                  0u);
        EXPECT_TRUE(scanner.stopped());
    }
}

// ---- WebSocketSession over ReadAheadStream, against a raw server -------------------------------

struct ClientFrame {
    unsigned opcode = 0;
    std::string payload;
};

// Accepts one connection, answers the upgrade and writes `frames` in the same write, then reads
// the client's frames (masked, payload < 126 bytes: pongs and close) until its close frame, which
// it echoes before closing the socket.
class BurstServer {
public:
    explicit BurstServer(std::string frames)
        : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          frames_(std::move(frames)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~BurstServer() {
        if (thread_.joinable()) thread_.join();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    /// Valid after join().
    const std::vector<ClientFrame>& received() const { return received_; }
    void join() { thread_.join(); }

private:
    void serve() {
        boost::system::error_code ec;
        tcp::socket socket(io_);
        acceptor_.accept(socket, ec);
        if (ec) return;
        beast::flat_buffer buffer;
        http::request<http::empty_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) return;
        beast::websocket::detail::sec_ws_accept_type accept;
        beast::websocket::detail::make_sec_ws_accept(accept, request["Sec-WebSocket-Key"]);
        std::string out =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: " +
            std::string(accept.data(), accept.size()) + "\r\n\r\n" + frames_;
        asio::write(socket, asio::buffer(out), ec);
        if (ec) return;
        for (;;) {
            std::array<unsigned char, 6> head{};
            if (asio::read(socket, asio::buffer(head), ec) != head.size()) return;
            ClientFrame f;
            f.opcode = head[0] & 0x0Fu;
            f.payload.resize(head[1] & 0x7Fu);
            asio::read(socket, asio::buffer(f.payload), ec);
            if (ec) return;
            for (std::size_t i = 0; i < f.payload.size(); ++i) {
                f.payload[i] = static_cast<char>(f.payload[i] ^ head[2 + i % 4]);
            }
            received_.push_back(f);
            if (f.opcode == 0x8) {
                asio::write(socket, asio::buffer(frame(true, 0x8, f.payload)), ec);
                socket.close(ec);
                return;
            }
        }
    }

    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::string frames_;
    std::vector<ClientFrame> received_;
    std::thread thread_;
};

struct RunResult {
    SessionEnd end;
    std::vector<std::string> messages;
};

// Runs a session on ws://127.0.0.1:<port>/; stops it after `stop_after` messages (0: never).
RunResult run_session(std::uint16_t port, std::size_t stop_after) {
    asio::io_context io;
    WebSocketOptions options;
    options.url = "ws://127.0.0.1:" + std::to_string(port) + "/";
    options.connect_timeout = std::chrono::milliseconds(5000);
    options.ping_interval = std::chrono::milliseconds(60'000);
    options.idle_timeout = std::chrono::milliseconds(10'000);
    WebSocketSession session(io, options);
    RunResult result;
    asio::co_spawn(
        io,
        session.run(nullptr,
                    [&](std::string&& payload, std::int64_t) {
                        result.messages.push_back(std::move(payload));
                        if (result.messages.size() == stop_after) session.stop();
                        return true;
                    }),
        [&](std::exception_ptr e, SessionEnd end) {
            if (e) std::rethrow_exception(e);
            result.end = std::move(end);
        });
    io.run();
    return result;
}

std::string message_text(std::size_t i) {
    return "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 200, 'x') + "\"}";
}

TEST(ReadAheadWebSocket, BurstArrivesInOrderFromMemoryWithPingsAnswered) {
    constexpr std::size_t kMessages = 1000;
    std::string frames;
    std::vector<std::string> expected;
    for (std::size_t i = 0; i < kMessages; ++i) {
        if (i == 300) frames += frame(true, 0x9, "p-1");
        if (i == 600) {  // a fragmented message with a ping between its frames
            expected.push_back("frag-" + std::string(1000, 'y') + "-ment");
            frames += frame(false, 0x1, "frag-") + frame(true, 0x9, "p-2") +
                      frame(false, 0x0, std::string(1000, 'y')) + frame(true, 0x0, "-ment");
            continue;
        }
        expected.push_back(message_text(i));
        frames += frame(true, 0x1, expected.back());
    }
    BurstServer server(frames);
    const RunResult result = run_session(server.port(), kMessages);
    server.join();

    EXPECT_EQ(result.messages, expected);
    EXPECT_TRUE(result.end.stopped);
    EXPECT_TRUE(result.end.connected);
    EXPECT_EQ(result.end.messages, kMessages);
    // All were written at once: most are read from memory (each chunk's last, partial message
    // and one per 256-message burst go through the async read).
    EXPECT_GT(result.end.messages_read_ahead, kMessages / 2) << result.end.messages_read_ahead;
    ASSERT_EQ(server.received().size(), 3u);
    EXPECT_EQ(server.received()[0].opcode, 0xAu);
    EXPECT_EQ(server.received()[0].payload, "p-1");
    EXPECT_EQ(server.received()[1].opcode, 0xAu);
    EXPECT_EQ(server.received()[1].payload, "p-2");
    EXPECT_EQ(server.received()[2].opcode, 0x8u);
    EXPECT_EQ(server.received()[2].payload, std::string("\x03\xe8", 2));  // 1000
}

TEST(ReadAheadWebSocket, InvalidUtf8ReadFromMemoryClosesWith1007) {
    std::string frames;
    for (std::size_t i = 0; i < 20; ++i) frames += frame(true, 0x1, message_text(i));
    frames += frame(true, 0x1, "{\"bad\":\"\xff\xfe\"}");
    for (std::size_t i = 0; i < 20; ++i) frames += frame(true, 0x1, message_text(i));
    BurstServer server(frames);
    const RunResult result = run_session(server.port(), 0);
    server.join();

    EXPECT_EQ(result.messages.size(), 20u);
    EXPECT_GT(result.end.messages_read_ahead, 0u);
    EXPECT_FALSE(result.end.stopped);
    EXPECT_EQ(result.end.error, ConnectionError::kInvalidUtf8);
    ASSERT_EQ(server.received().size(), 1u);
    EXPECT_EQ(server.received()[0].opcode, 0x8u);
    EXPECT_EQ(server.received()[0].payload.substr(0, 2), std::string("\x03\xef", 2));  // 1007
}

}  // namespace
}  // namespace gstream::source
