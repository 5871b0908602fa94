// The frame scanner of ReadAheadStream (RFC 6455 §5.2: base framing).
#include "source/read_ahead_stream.hpp"

#include <algorithm>

namespace gstream::source {
namespace {

constexpr char kHeaderEnd[] = "\r\n\r\n";
constexpr unsigned kOpContinuation = 0x0;
constexpr unsigned kOpText = 0x1;
constexpr unsigned kOpBinary = 0x2;
constexpr unsigned kOpClose = 0x8;
constexpr unsigned kOpPing = 0x9;
constexpr unsigned kOpPong = 0xA;

}  // namespace

void WsFrameScanner::scan(const unsigned char* data, std::size_t size) noexcept {
    const unsigned char* p = data;
    const unsigned char* const end = data + size;
    while (p != end) {
        switch (phase_) {
            case Phase::kStopped:
                return;
            case Phase::kHttp: {
                const char c = static_cast<char>(*p++);
                if (c == kHeaderEnd[http_match_]) {
                    if (++http_match_ == 4) {
                        phase_ = Phase::kHeader;
                        header_have_ = 0;
                        header_need_ = 2;
                    }
                } else {
                    http_match_ = c == '\r' ? 1 : 0;
                }
                break;
            }
            case Phase::kHeader: {
                header_[header_have_++] = *p++;
                if (header_have_ == 2) {
                    // 7-bit length, or 126 -> 16-bit, 127 -> 64-bit; then a 4-byte masking key.
                    const unsigned len7 = header_[1] & 0x7Fu;
                    header_need_ = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) +
                                   ((header_[1] & 0x80u) != 0 ? 4 : 0);
                }
                if (header_have_ == header_need_) on_header();
                break;
            }
            case Phase::kPayload: {
                const auto avail = static_cast<std::uint64_t>(end - p);
                const std::uint64_t take = std::min(avail, payload_left_);
                p += take;
                payload_left_ -= take;
                if (payload_left_ == 0) on_frame_end();
                break;
            }
        }
    }
}

void WsFrameScanner::on_header() noexcept {
    fin_ = (header_[0] & 0x80u) != 0;
    opcode_ = header_[0] & 0x0Fu;
    const unsigned len7 = header_[1] & 0x7Fu;
    std::uint64_t len = len7;
    if (len7 == 126) {
        len = (std::uint64_t{header_[2]} << 8) | header_[3];
    } else if (len7 == 127) {
        len = 0;
        for (unsigned i = 2; i < 10; ++i) len = (len << 8) | header_[i];
    }
    header_have_ = 0;
    header_need_ = 2;
    payload_left_ = len;
    phase_ = Phase::kPayload;
    if (len == 0) on_frame_end();
}

void WsFrameScanner::on_frame_end() noexcept {
    phase_ = Phase::kHeader;
    switch (opcode_) {
        case kOpText:
        case kOpBinary:
            if (in_message_) {
                phase_ = Phase::kStopped;
                return;
            }
            if (fin_) {
                ++complete_;
            } else {
                in_message_ = true;
            }
            return;
        case kOpContinuation:
            if (!in_message_) {
                phase_ = Phase::kStopped;
                return;
            }
            if (fin_) {
                in_message_ = false;
                ++complete_;
            }
            return;
        case kOpPing:
        case kOpPong:
            return;
        case kOpClose:
        default:
            phase_ = Phase::kStopped;
            return;
    }
}

}  // namespace gstream::source
