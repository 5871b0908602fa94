#include "tests/support/json_tape.hpp"

#include <cstdint>
#include <cstring>

namespace gstream::test {

// Every node of the tape, as text: type, byte range, next, flags (without kJsonFlagInText, which
// tells where the string lives), counts, heights, unescaped strings, numbers' bits.
std::vector<std::string> dump_tape(const core::JsonDocument& d) {
    std::vector<std::string> out;
    for (std::uint32_t i = 0; i < d.node(0).next; ++i) {
        const core::JsonNode& n = d.node(i);
        std::string s = std::to_string(static_cast<int>(n.type)) + " " + std::to_string(n.begin) +
                        "-" + std::to_string(n.end) + " next=" + std::to_string(n.next) +
                        " flags=" + std::to_string(n.flags & 3);
        if (n.type == core::JsonType::kString || n.type == core::JsonType::kKey) {
            s += " s=" + std::string(d.string_of(n));
        } else if (n.type == core::JsonType::kObject || n.type == core::JsonType::kArray) {
            s += " count=" + std::to_string(n.aux) + " height=" + std::to_string(n.aux2);
        } else {
            std::uint64_t bits = 0;
            std::memcpy(&bits, &n.num, sizeof bits);
            s += " num=" + std::to_string(bits) + " aux=" + std::to_string(n.aux) +
                 " aux2=" + std::to_string(n.aux2);
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace gstream::test
