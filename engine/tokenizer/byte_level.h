#pragma once
// GPT-2's reversible mapping between bytes and printable Unicode characters:
// byte-level BPE vocabularies store every byte as one such character (a space
// is "Ġ", a newline "Ċ"), so token texts never hold raw control bytes.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace nibble {

class ByteLevelMap {
public:
    ByteLevelMap();

    // The UTF-8 text of the character standing for `byte`.
    std::string_view encode(uint8_t byte) const { return encoded_[byte]; }
    // Every byte of `bytes` replaced by its character.
    std::string encode(std::string_view bytes) const;
    // The byte a character stands for, or -1 when it stands for none.
    int decode(uint32_t codepoint) const;

private:
    std::array<std::string, 256> encoded_;
    std::unordered_map<uint32_t, uint8_t> decoded_;
};

}  // namespace nibble
