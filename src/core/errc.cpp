#include "core/errc.hpp"

#include <string>

namespace gstream::core {
namespace {

class Category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "gstream"; }
    std::string message(int ev) const override {
        return std::string(reason_name(static_cast<Errc>(ev)));
    }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
    static const Category category;
    return category;
}

std::string_view reason_name(Errc e) noexcept {
    switch (e) {
        case Errc::kOk: return "ok";
        case Errc::kNotJson: return "not_json";
        case Errc::kNotObject: return "not_object";
        case Errc::kBadEnvelope: return "bad_envelope";
        case Errc::kDuplicateKey: return "duplicate_key";
        case Errc::kTooDeep: return "too_deep";
        case Errc::kNumberOutOfRange: return "number_out_of_range";
        case Errc::kBadTimestamp: return "bad_timestamp";
        case Errc::kSchema: return "schema";
        case Errc::kLate: return "late";
        case Errc::kSinkRejected: return "sink_rejected";
        case Errc::kConnectionClosed: return "connection_closed";
        case Errc::kMessageTooLarge: return "message_too_large";
        case Errc::kBinaryFrame: return "binary_frame";
        case Errc::kHttpStatus: return "http_status";
        case Errc::kUnauthorized: return "unauthorized";
        case Errc::kForbidden: return "forbidden";
        case Errc::kRateLimited: return "rate_limited";
        case Errc::kBadResponse: return "bad_response";
        case Errc::kTimeout: return "timeout";
        case Errc::kConfig: return "config";
        case Errc::kIo: return "io";
        case Errc::kWalCorrupt: return "wal_corrupt";
    }
    return "unknown";
}

}  // namespace gstream::core
