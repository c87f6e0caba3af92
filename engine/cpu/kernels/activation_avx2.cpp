// GELU and SiLU gates eight lanes at a time with AVX2 and FMA: the
// portable file's exp approximation (activation_portable.cpp says why it
// suffices), its polynomial in fused multiply-adds.
#include "cpu/kernel_table.h"

#include <immintrin.h>

#include <cstddef>

#pragma GCC target("avx2,fma")

namespace nibble::cpu {
namespace {

__m256 expApprox(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f),
                                      _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x));
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(scale));
}

// gate = x / (1 + exp(-(slope * x + cube * x^3))) * up; GELU's slope and
// cube are 2 sqrt(2 / pi) and its 0.044715 times that, SiLU's 1 and 0.
template <bool Gelu>
__m256 gated(__m256 x, __m256 up) {
    __m256 arg;
    if constexpr (Gelu) {
        const __m256 inner = _mm256_fmadd_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(0.044715f), _mm256_set1_ps(1.0f));
        arg = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f * 0.79788456080286535587989211986876f), x), inner);
    } else {
        arg = _mm256_sub_ps(_mm256_setzero_ps(), x);
    }
    const __m256 denominator = _mm256_add_ps(_mm256_set1_ps(1.0f), expApprox(arg));
    return _mm256_mul_ps(_mm256_div_ps(x, denominator), up);
}

template <bool Gelu>
void gate(float* g, const float* up, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(g + i, gated<Gelu>(_mm256_loadu_ps(g + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(n - i)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        _mm256_maskstore_ps(g + i, lanes,
                            gated<Gelu>(_mm256_maskload_ps(g + i, lanes), _mm256_maskload_ps(up + i, lanes)));
    }
}

}  // namespace

void addActivationAvx2(KernelTable& table) {
    table.geluGate = gate<true>;
    table.siluGate = gate<false>;
}

}  // namespace nibble::cpu
