#pragma once
// Small AVX2 steps the AVX2 kernel files share. Include it after the file's
// `#pragma GCC target`, which these functions need; they have internal
// linkage, so each file gets its own copy compiled for its own target and
// the linker can never hand one instruction set's copy to another's caller.
#include <immintrin.h>

namespace nibble::cpu {
namespace {

// The sum of the eight lanes.
[[maybe_unused]] float horizontalSum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Sixteen 16-bit sums of pairs of signed w[j] * x[j] (vpmaddubsw wants its
// first operand unsigned, so w's signs move onto x).
[[maybe_unused]] __m256i pairSums(__m256i w, __m256i x) {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

}  // namespace
}  // namespace nibble::cpu
