#pragma once
// IEEE half (fp16) and bfloat16 <-> f32 conversion, bit-exact with ggml and
// numpy: f32 -> half/bf16 rounds to nearest, ties to even; subnormals, zeros
// of either sign, infinities and NaNs keep their meaning. Written without
// branches on the data so that loops over arrays vectorise.
#include <bit>
#include <cstdint>

namespace nibble {

inline float halfToFloat(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t magnitude = h & 0x7fffu;
    // Normal numbers: move exponent and mantissa into place and rebias 15 -> 127.
    const uint32_t normal = (magnitude << 13) + ((127u - 15u) << 23);
    // Infinity and NaN (exponent 31) must land on exponent 255, payload kept.
    const uint32_t special = normal + ((128u - 16u) << 23);
    // Subnormals are mantissa * 2^-24, which a float holds exactly.
    const uint32_t subnormal = std::bit_cast<uint32_t>(float(int32_t(magnitude)) * 0x1p-24f);
    const uint32_t bits = magnitude >= 0x7c00u ? special : magnitude < 0x0400u ? subnormal : normal;
    return std::bit_cast<float>(sign | bits);
}

inline uint16_t floatToHalf(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t magnitude = x & 0x7fffffffu;
    if (magnitude > 0x7f800000u)  // NaN: stays NaN, quieted, top of the payload kept
        return uint16_t(sign | 0x7e00u | ((magnitude >> 13) & 0x03ffu));
    if (magnitude >= 0x477ff000u)  // 65520 and up round to infinity
        return uint16_t(sign | 0x7c00u);
    if (magnitude < 0x38800000u) {
        // Below the smallest normal half (2^-14): adding 0.5 makes the float
        // unit in the last place 2^-24, the half subnormal step, so the
        // hardware addition does the round-to-nearest-even for us.
        const float shifted = std::bit_cast<float>(magnitude) + 0.5f;
        return uint16_t(sign | (std::bit_cast<uint32_t>(shifted) - 0x3f000000u));
    }
    const uint32_t odd = (magnitude >> 13) & 1u;
    const uint32_t rebiased = magnitude - ((127u - 15u) << 23);
    return uint16_t(sign | ((rebiased + 0x0fffu + odd) >> 13));
}

inline float bf16ToFloat(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }

inline uint16_t floatToBf16(float f) {
    const uint32_t x = std::bit_cast<uint32_t>(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)  // NaN: truncate and force the quiet bit
        return uint16_t((x >> 16) | 0x0040u);
    return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace nibble
