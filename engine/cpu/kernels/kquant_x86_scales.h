#pragma once
// Unpacking a K-quant super-block's packed sub-block scales, shared by the
// AVX2 and AVX-512 K-quant files. Include it after the file's
// `#pragma GCC target`: the functions have internal linkage, so each file
// compiles its own copy for its own target (as avx2_lanes.h).
#include "tensor/block_formats.h"

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nibble::cpu {
namespace {

[[maybe_unused]] uint32_t loadWord(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

[[maybe_unused]] float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

// Q4_K's and Q5_K's 12 packed bytes at b's scales, unpacked a word at a time
// (as ggml): the 8 six-bit scales in bytes 0-7, the 8 minimums in bytes 8-15.
[[maybe_unused]] __m128i q4q5ScalesAndMins(const uint8_t* b) {
    static_assert(offsetof(blocks::BlockQ5_K, scales) == offsetof(blocks::BlockQ4_K, scales));
    const uint8_t* packed = b + offsetof(blocks::BlockQ4_K, scales);
    const uint32_t w0 = loadWord(packed), w1 = loadWord(packed + 4), w2 = loadWord(packed + 8);
    const uint32_t six = 0x3f3f3f3fu, nibbles = 0x0f0f0f0fu, pairs = 0x03030303u;
    return _mm_setr_epi32(int(w0 & six), int((w2 & nibbles) | (((w0 >> 6) & pairs) << 4)), int(w1 & six),
                          int(((w2 >> 4) & nibbles) | (((w1 >> 6) & pairs) << 4)));
}

// Q3_K's 16 signed scales, one per 16 weights, from the low nibbles and high
// 2-bit pairs packed four to a word at b's scales (as ggml).
[[maybe_unused]] __m128i q3Scales(const uint8_t* b) {
    const uint8_t* packed = b + offsetof(blocks::BlockQ3_K, scales);
    const uint32_t w0 = loadWord(packed), w1 = loadWord(packed + 4), w2 = loadWord(packed + 8);
    const uint32_t nibbles = 0x0f0f0f0fu, pairs = 0x03030303u;
    const __m128i biased = _mm_setr_epi32(int((w0 & nibbles) | ((w2 & pairs) << 4)),
                                          int((w1 & nibbles) | (((w2 >> 2) & pairs) << 4)),
                                          int(((w0 >> 4) & nibbles) | (((w2 >> 4) & pairs) << 4)),
                                          int(((w1 >> 4) & nibbles) | (((w2 >> 6) & pairs) << 4)));
    return _mm_sub_epi8(biased, _mm_set1_epi8(32));
}

// Each of the 8 bytes of `eight` twice in a row: a scale per 32 weights as
// one per 16.
[[maybe_unused]] __m128i doubled(__m128i eight) {
    return _mm_shuffle_epi8(eight, _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7));
}

}  // namespace
}  // namespace nibble::cpu
