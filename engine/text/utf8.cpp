#include "text/utf8.h"

namespace nibble::utf8 {

void appendCodepoint(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

int wellFormedPrefix(std::string_view bytes) {
    const auto at = [&](size_t k) { return static_cast<uint8_t>(bytes[k]); };
    const uint8_t b0 = at(0);
    if (b0 < 0x80) return 1;
    size_t need = 0;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return -1;
    }
    for (size_t k = 1; k < need; ++k) {
        if (k >= bytes.size()) return 0;
        const uint8_t b = at(k);
        const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
        if (!ok) return -static_cast<int>(k);
    }
    return static_cast<int>(need);
}

std::string sanitize(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const int n = wellFormedPrefix(text.substr(pos));
        if (n > 0) {
            out.append(text.substr(pos, static_cast<size_t>(n)));
            pos += static_cast<size_t>(n);
        } else {
            appendCodepoint(out, kReplacement);
            ++pos;
        }
    }
    return out;
}

bool isValid(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        const int n = wellFormedPrefix(text.substr(pos));
        if (n <= 0) return false;
        pos += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace nibble::utf8
