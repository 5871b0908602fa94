#pragma once
// A read-ahead stream layer for a WebSocket client: websocket::stream<ReadAheadStream<Next>>.
//
// Beast reads its next layer into a 1536-byte buffer (tcp_frame_size), so a stream of ~1 KB
// messages costs one recvmsg and one scheduler cycle per message. This layer reads its next layer
// in chunks of up to 64 KiB and hands the bytes out from memory. It also finds the WebSocket frame
// boundaries of the bytes it received (RFC 6455 §5.2: lengths, FIN and opcode only; Beast still
// validates everything) and counts the complete data messages, so the reader can tell when the
// next message is wholly in memory and a synchronous websocket read of it cannot block.
//
// Included only by the translation units that instantiate Beast (websocket_connection.cpp, tests).
// Thread-safety: none; used on the connection's io thread like the stream it wraps.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace gstream::source {

/// Follows the frames of a server-to-client WebSocket byte stream, from its first byte (the HTTP
/// response of the upgrade, up to "\r\n\r\n") on, and counts the complete data messages: a text or
/// binary frame and its continuations up to the one with FIN; control frames in between do not
/// count. A masked frame is skipped by its length (masking key included). Counting ends for good
/// at a close frame, or at framing it cannot follow (a continuation outside a message, a data
/// frame inside one, a reserved opcode): the count then stays as it was.
class WsFrameScanner {
public:
    /// Scans the next `size` bytes of the stream, in order; any split of the stream is fine.
    void scan(const unsigned char* data, std::size_t size) noexcept;

    /// Data messages whose last byte has been scanned.
    std::uint64_t complete_messages() const noexcept { return complete_; }
    /// True once the end of the HTTP response was seen (frames follow).
    bool upgraded() const noexcept { return phase_ != Phase::kHttp; }
    /// True once counting ended (close frame or framing it cannot follow).
    bool stopped() const noexcept { return phase_ == Phase::kStopped; }

private:
    enum class Phase : std::uint8_t { kHttp, kHeader, kPayload, kStopped };
    void on_header() noexcept;
    void on_frame_end() noexcept;

    Phase phase_ = Phase::kHttp;
    unsigned http_match_ = 0;  // bytes of "\r\n\r\n" matched so far
    unsigned char header_[14] = {};
    unsigned header_have_ = 0;
    unsigned header_need_ = 2;
    std::uint64_t payload_left_ = 0;
    bool fin_ = false;
    unsigned opcode_ = 0;
    bool in_message_ = false;
    std::uint64_t complete_ = 0;
};

/// A stream layer between Beast's websocket::stream and its next layer (beast::tcp_stream or
/// beast::ssl_stream<beast::tcp_stream>). Meets SyncStream and AsyncStream: writes go straight to
/// the next layer; reads hand out buffered bytes first and, with nothing buffered, read the next
/// layer into the buffer (up to kChunk bytes) then copy. async_read_some always completes through
/// the executor, never inline. beast::get_lowest_layer reaches the tcp_stream through
/// next_layer().
///
/// Teardown (the end of a closing handshake): the asynchronous one is the next layer's. The
/// synchronous one, which Beast runs only when a synchronous read fails the connection (and which
/// for TCP would block until the peer closes), is deferred: it returns at once and sets
/// teardown_deferred(); the caller then runs async_deferred_teardown().
template <class NextLayer>
class ReadAheadStream {
public:
    using next_layer_type = std::remove_reference_t<NextLayer>;
    using executor_type = boost::beast::executor_type<next_layer_type>;
    using error_code = boost::system::error_code;

    /// Bytes read from the next layer at most at once.
    static constexpr std::size_t kChunk = 64 * 1024;

    /// Constructs the next layer from `args`.
    template <class... Args>
    explicit ReadAheadStream(Args&&... args) : next_(std::forward<Args>(args)...) {}

    next_layer_type& next_layer() noexcept { return next_; }
    const next_layer_type& next_layer() const noexcept { return next_; }
    executor_type get_executor() noexcept { return next_.get_executor(); }

    /// Complete data messages received so far (in this buffer or already handed out).
    std::uint64_t complete_messages() const noexcept { return scanner_.complete_messages(); }
    /// Bytes received and not yet handed out.
    std::size_t buffered() const noexcept { return end_ - begin_; }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
        ec = {};
        if (boost::asio::buffer_size(buffers) == 0) return 0;
        if (buffered() == 0) {
            const std::size_t n = next_.read_some(prepare(), ec);
            if (n == 0) return 0;
            commit(n);
            ec = {};
        }
        return copy_out(buffers);
    }

    template <class MutableBufferSequence>
    std::size_t read_some(const MutableBufferSequence& buffers) {
        error_code ec;
        const std::size_t n = read_some(buffers, ec);
        if (ec) throw boost::system::system_error(ec);
        return n;
    }

    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
        return next_.write_some(buffers, ec);
    }

    template <class ConstBufferSequence>
    std::size_t write_some(const ConstBufferSequence& buffers) {
        return next_.write_some(buffers);
    }

    /// Completes with buffered bytes (posted), else after one read of the next layer.
    template <class MutableBufferSequence, class Token>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token) {
        return boost::asio::async_compose<Token, void(error_code, std::size_t)>(
            ReadOp<MutableBufferSequence>{*this, buffers}, token, get_executor());
    }

    template <class ConstBufferSequence, class Token>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token) {
        return next_.async_write_some(buffers, std::forward<Token>(token));
    }

    /// True when Beast ran the synchronous teardown (see the class comment).
    bool teardown_deferred() const noexcept { return teardown_deferred_; }
    void defer_teardown() noexcept { teardown_deferred_ = true; }

    /// Runs the next layer's asynchronous teardown (e.g. TLS shutdown, then read the TCP stream
    /// until the peer closes it). Signature void(error_code).
    template <class Token>
    auto async_deferred_teardown(boost::beast::role_type role, Token&& token) {
        return boost::asio::async_initiate<Token, void(error_code)>(
            [this, role](auto handler) {
                teardown_deferred_ = false;
                using boost::beast::websocket::async_teardown;
                async_teardown(role, next_, std::move(handler));
            },
            token);
    }

private:
    template <class Buffers>
    struct ReadOp {
        ReadAheadStream& stream;
        Buffers buffers;
        enum class State : std::uint8_t { kStart, kPosted, kReading } state = State::kStart;

        template <class Self>
        void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
            switch (state) {
                case State::kStart:
                    if (stream.buffered() > 0 || boost::asio::buffer_size(buffers) == 0) {
                        state = State::kPosted;
                        boost::asio::post(stream.get_executor(), std::move(self));
                        return;
                    }
                    state = State::kReading;
                    stream.next_.async_read_some(stream.prepare(), std::move(self));
                    return;
                case State::kPosted:
                    self.complete(error_code{}, stream.copy_out(buffers));
                    return;
                case State::kReading:
                    if (n == 0) {
                        self.complete(ec, 0);
                        return;
                    }
                    stream.commit(n);
                    self.complete(error_code{}, stream.copy_out(buffers));
                    return;
            }
        }
    };

    boost::asio::mutable_buffer prepare() {
        if (!storage_) storage_ = std::make_unique<unsigned char[]>(kChunk);
        begin_ = end_ = 0;
        return boost::asio::buffer(storage_.get(), kChunk);
    }
    void commit(std::size_t n) noexcept {
        scanner_.scan(storage_.get() + end_, n);
        end_ += n;
    }
    template <class MutableBufferSequence>
    std::size_t copy_out(const MutableBufferSequence& buffers) {
        const std::size_t n = boost::asio::buffer_copy(
            buffers, boost::asio::buffer(storage_.get() + begin_, end_ - begin_));
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
        return n;
    }

    NextLayer next_;
    std::unique_ptr<unsigned char[]> storage_;  // kChunk bytes, allocated on the first read
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    WsFrameScanner scanner_;
    bool teardown_deferred_ = false;
};

/// Beast's synchronous teardown customisation point: deferred (see ReadAheadStream).
template <class NextLayer>
void teardown(boost::beast::role_type role, ReadAheadStream<NextLayer>& stream,
              boost::system::error_code& ec) {
    (void)role;
    stream.defer_teardown();
    ec = {};
}

/// Beast's asynchronous teardown customisation point: the next layer's.
template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, ReadAheadStream<NextLayer>& stream,
                    TeardownHandler&& handler) {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace gstream::source
