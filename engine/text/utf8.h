#pragma once
// UTF-8 helpers shared by the tokenizers and the chat templates. Two notions of a "character" live
// here on purpose: the lenient one llama.cpp uses to cut text into symbols
// (length read from the lead byte alone), and the strict well-formedness
// check of the Unicode standard used where output must be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nibble::utf8 {

inline constexpr uint32_t kReplacement = 0xFFFD;

// Bytes in the sequence this lead byte starts, judged by its high bits only
// (continuation bytes count as 1), as llama.cpp's unicode_len_utf8.
inline size_t leadLength(char lead) {
    static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLengths[static_cast<uint8_t>(lead) >> 4];
}

void appendCodepoint(std::string& out, uint32_t cp);

// The code point of a whole, well-formed sequence of 1 to 4 bytes.
inline uint32_t decode(std::string_view sequence) {
    uint32_t cp = static_cast<uint8_t>(sequence[0]) & (0x7F >> (sequence.size() == 1 ? 0 : sequence.size()));
    for (size_t k = 1; k < sequence.size(); ++k) cp = (cp << 6) | (static_cast<uint8_t>(sequence[k]) & 0x3F);
    return cp;
}

// Length of the well-formed sequence at the start of `bytes` (Unicode table
// 3-7: no overlongs, surrogates or code points past U+10FFFF). Returns 0 when
// the bytes so far are a valid but incomplete prefix, and -n when the first n
// bytes are a maximal ill-formed subpart that must be replaced.
int wellFormedPrefix(std::string_view bytes);

// Text made valid UTF-8 for the regex pre-tokenizers: each ill-formed byte
// becomes U+FFFD, as llama.cpp's unicode_cpts_from_utf8 does.
std::string sanitize(std::string_view text);

bool isValid(std::string_view text);

}  // namespace nibble::utf8
