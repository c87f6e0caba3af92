#include "tokenizer/byte_level.h"

#include "text/utf8.h"

namespace nibble {

ByteLevelMap::ByteLevelMap() {
    // Printable Latin-1 bytes stand for themselves; the rest are moved, in
    // order, to U+0100 and up (bytes_to_unicode in OpenAI's encoder.py).
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        const uint32_t cp = printable ? b : next++;
        utf8::appendCodepoint(encoded_[b], cp);
        decoded_.emplace(cp, static_cast<uint8_t>(b));
    }
}

std::string ByteLevelMap::encode(std::string_view bytes) const {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char c : bytes) out += encoded_[static_cast<uint8_t>(c)];
    return out;
}

int ByteLevelMap::decode(uint32_t codepoint) const {
    auto it = decoded_.find(codepoint);
    return it == decoded_.end() ? -1 : it->second;
}

}  // namespace nibble
