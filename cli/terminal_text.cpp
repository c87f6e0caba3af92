#include "terminal_text.h"

#include <cstdint>
#include <cstdio>

namespace nibble::cli {
namespace {

void appendHex(std::string& out, const char* format, unsigned value) {
    char text[8];
    std::snprintf(text, sizeof text, format, value);
    out += text;
}

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0.
size_t sequenceLength(std::string_view s) {
    const auto byte = [&](size_t i) { return uint8_t(s[i]); };
    const uint8_t lead = byte(0);
    size_t length = 0;
    uint32_t min = 0;
    if (lead >= 0xC2 && lead <= 0xDF) length = 2, min = 0x80;
    else if (lead >= 0xE0 && lead <= 0xEF) length = 3, min = 0x800;
    else if (lead >= 0xF0 && lead <= 0xF4) length = 4, min = 0x10000;
    else return 0;
    if (s.size() < length) return 0;
    uint32_t code = lead & (0x7F >> length);
    for (size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
        code = (code << 6) | (byte(i) & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return length;
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const uint8_t c = uint8_t(text[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F) appendHex(out, "\\x%02x", c);
            else out += char(c);
            ++i;
            continue;
        }
        const size_t length = sequenceLength(text.substr(i));
        if (length == 0) {
            appendHex(out, "\\x%02x", c);
            ++i;
        } else if (length == 2 && c == 0xC2 && uint8_t(text[i + 1]) < 0xA0) {
            appendHex(out, "\\u%04x", uint8_t(text[i + 1]));  // C1 controls, U+0080..U+009F
            i += 2;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

}  // namespace nibble::cli
