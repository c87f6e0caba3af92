// Q2_K to Q6_K against Q8_K activations, with AVX2.
//
// As in the portable set, each weight is d * sc * q - dmin * mn with an
// unsigned q (Q3_K shifted by 4, Q6_K by 32, their mn = 4 sc and 32 sc).
// A super-block is unpacked with byte shuffles into 256 unsigned bytes and
// its 16 scales into the 16-bit lanes vpmaddwd wants, once per weight row,
// and then reused by every input row of the tile: vpmaddubsw multiplies the
// bytes with the activations (q <= 63 and |x| <= 127, so its 16-bit pair
// sums cannot saturate), vpmaddwd applies the scales, and the minimums go
// through the activations' bsums.
#include "cpu/kernel_table.h"
#include "tensor/block_decode.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <immintrin.h>

#include <cstddef>
#include <cstring>

#pragma GCC target("avx2,fma,f16c")

namespace nibble::cpu {
namespace {

using namespace nibble::blocks;

struct SuperBlock {
    alignas(32) uint8_t q[256];
    // scales[i]: the scale of every 16-bit product lane of bytes 32 i .. 32 i + 31.
    __m256i scales[8];
    __m256i mins;  // mn of sub-block s in lane s
    float d;
    float dmin;
};

float loadHalf(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, sizeof h);
    return _cvtsh_ss(h);
}

__m256i load32(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

void store32(uint8_t* p, __m256i v) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(p), v);
}

// Scales and mins of 16 sub-blocks of 16 weights.
void setScales16(const int16_t* sc, const int16_t* mn, SuperBlock& out) {
    for (int i = 0; i < 8; ++i)
        out.scales[i] = _mm256_set_m128i(_mm_set1_epi16(sc[2 * i + 1]), _mm_set1_epi16(sc[2 * i]));
    out.mins = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mn));
}

// Whether bit `bit` of each byte of v is set, as `value` or 0.
__m256i bitAs(__m256i v, int bit, uint8_t value) {
    const __m256i mask = _mm256_set1_epi8(char(1 << bit));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(v, mask), mask), _mm256_set1_epi8(char(value)));
}

void decodeQ2K(const uint8_t* b, SuperBlock& out) {
    const uint8_t* scales = b + offsetof(BlockQ2_K, scales);
    int16_t sc[16], mn[16];
    for (int s = 0; s < 16; ++s) {
        sc[s] = scales[s] & 0x0f;
        mn[s] = scales[s] >> 4;
    }
    setScales16(sc, mn, out);
    const __m256i three = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; ++h) {
        const __m256i v = load32(b + offsetof(BlockQ2_K, qs) + 32 * h);
        for (int k = 0; k < 4; ++k)
            store32(out.q + 128 * h + 32 * k, _mm256_and_si256(_mm256_srli_epi16(v, 2 * k), three));
    }
    out.d = loadHalf(b + offsetof(BlockQ2_K, d));
    out.dmin = loadHalf(b + offsetof(BlockQ2_K, dmin));
}

void decodeQ3K(const uint8_t* b, SuperBlock& out) {
    int8_t packed[16];
    q3kScales(b + offsetof(BlockQ3_K, scales), packed);
    int16_t sc[16], mn[16];
    for (int s = 0; s < 16; ++s) {
        sc[s] = int16_t(packed[s] - 32);
        mn[s] = int16_t(4 * sc[s]);
    }
    setScales16(sc, mn, out);
    const __m256i three = _mm256_set1_epi8(3);
    const __m256i hmask = load32(b + offsetof(BlockQ3_K, hmask));
    for (int h = 0; h < 2; ++h) {
        const __m256i v = load32(b + offsetof(BlockQ3_K, qs) + 32 * h);
        for (int k = 0; k < 4; ++k) {
            const __m256i low = _mm256_and_si256(_mm256_srli_epi16(v, 2 * k), three);
            store32(out.q + 128 * h + 32 * k, _mm256_or_si256(low, bitAs(hmask, 4 * h + k, 4)));
        }
    }
    out.d = loadHalf(b + offsetof(BlockQ3_K, d));
    out.dmin = out.d;
}

void q4q5Scales(const uint8_t* b, SuperBlock& out) {
    static_assert(offsetof(BlockQ5_K, scales) == offsetof(BlockQ4_K, scales));
    alignas(32) int16_t mn[16];
    for (int s = 0; s < 8; ++s) {
        uint8_t sc, m;
        kScaleMin(s, b + offsetof(BlockQ4_K, scales), sc, m);
        out.scales[s] = _mm256_set1_epi16(sc);
        mn[2 * s] = mn[2 * s + 1] = m;
    }
    out.mins = _mm256_load_si256(reinterpret_cast<const __m256i*>(mn));
    out.d = loadHalf(b + offsetof(BlockQ4_K, d));
    out.dmin = loadHalf(b + offsetof(BlockQ4_K, dmin));
}

void decodeQ4K(const uint8_t* b, SuperBlock& out) {
    q4q5Scales(b, out);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    for (int c = 0; c < 4; ++c) {
        const __m256i v = load32(b + offsetof(BlockQ4_K, qs) + 32 * c);
        store32(out.q + 64 * c, _mm256_and_si256(v, low4));
        store32(out.q + 64 * c + 32, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4));
    }
}

void decodeQ5K(const uint8_t* b, SuperBlock& out) {
    q4q5Scales(b, out);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i qh = load32(b + offsetof(BlockQ5_K, qh));
    for (int c = 0; c < 4; ++c) {
        const __m256i v = load32(b + offsetof(BlockQ5_K, qs) + 32 * c);
        store32(out.q + 64 * c, _mm256_or_si256(_mm256_and_si256(v, low4), bitAs(qh, 2 * c, 16)));
        store32(out.q + 64 * c + 32,
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4), bitAs(qh, 2 * c + 1, 16)));
    }
}

void decodeQ6K(const uint8_t* b, SuperBlock& out) {
    const uint8_t* scales = b + offsetof(BlockQ6_K, scales);
    int16_t sc[16], mn[16];
    for (int s = 0; s < 16; ++s) {
        sc[s] = int8_t(scales[s]);
        mn[s] = int16_t(32 * sc[s]);
    }
    setScales16(sc, mn, out);
    const __m256i low4 = _mm256_set1_epi8(0x0f);
    const __m256i top2 = _mm256_set1_epi8(0x30);
    for (int h = 0; h < 2; ++h) {
        const __m256i lo = load32(b + offsetof(BlockQ6_K, ql) + 64 * h);
        const __m256i hi = load32(b + offsetof(BlockQ6_K, ql) + 64 * h + 32);
        const __m256i top = load32(b + offsetof(BlockQ6_K, qh) + 32 * h);
        uint8_t* q = out.q + 128 * h;
        store32(q, _mm256_or_si256(_mm256_and_si256(lo, low4), _mm256_and_si256(_mm256_slli_epi16(top, 4), top2)));
        store32(q + 32,
                _mm256_or_si256(_mm256_and_si256(hi, low4), _mm256_and_si256(_mm256_slli_epi16(top, 2), top2)));
        store32(q + 64, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 4), low4), _mm256_and_si256(top, top2)));
        store32(q + 96, _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(hi, 4), low4),
                                        _mm256_and_si256(_mm256_srli_epi16(top, 2), top2)));
    }
    out.d = loadHalf(b + offsetof(BlockQ6_K, d));
    out.dmin = out.d;
}

// Adds the super-block's contribution to one dot product to acc's lanes.
__m256 superBlockDot(const SuperBlock& w, const uint8_t* x, __m256 acc) {
    float dx;
    std::memcpy(&dx, x + offsetof(ActivationQ8_K, d), sizeof dx);
    const uint8_t* xq = x + offsetof(ActivationQ8_K, q);
    __m256i sumi = _mm256_setzero_si256();
    for (int i = 0; i < 8; ++i) {
        const __m256i products = _mm256_maddubs_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(w.q + 32 * i)),
                                                      load32(xq + 32 * i));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(products, w.scales[i]));
    }
    const __m256i summ = _mm256_madd_epi16(load32(x + offsetof(ActivationQ8_K, bsums)), w.mins);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(w.d * dx), acc);
    return _mm256_fnmadd_ps(_mm256_cvtepi32_ps(summ), _mm256_set1_ps(w.dmin * dx), acc);
}

float horizontalSum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

template <size_t BlockBytes, void (*Decode)(const uint8_t*, SuperBlock&)>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    const int64_t blocks = k / 256;
    __m256 acc[kMaxTileCols][kMaxTileRows];
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) acc[c][r] = _mm256_setzero_ps();
    SuperBlock sb;
    for (int64_t i = 0; i < blocks; ++i)
        for (int r = 0; r < rows; ++r) {
            Decode(w + size_t(r) * wStride + size_t(i) * BlockBytes, sb);
            for (int c = 0; c < cols; ++c)
                acc[c][r] = superBlockDot(sb, x + size_t(c) * xStride + size_t(i) * sizeof(ActivationQ8_K), acc[c][r]);
        }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) y[size_t(c) * ldy + size_t(r)] = horizontalSum(acc[c][r]);
}

}  // namespace

void addKQuantAvx2(KernelTable& table) {
    const auto set = [&](GgmlType type, DotTileFn dot) {
        table.weights[static_cast<int>(type)] = WeightKernel{ActivationFormat::Q8_K, dot};
    };
    set(GgmlType::Q2_K, dotTile<sizeof(BlockQ2_K), decodeQ2K>);
    set(GgmlType::Q3_K, dotTile<sizeof(BlockQ3_K), decodeQ3K>);
    set(GgmlType::Q4_K, dotTile<sizeof(BlockQ4_K), decodeQ4K>);
    set(GgmlType::Q5_K, dotTile<sizeof(BlockQ5_K), decodeQ5K>);
    set(GgmlType::Q6_K, dotTile<sizeof(BlockQ6_K), decodeQ6K>);
}

}  // namespace nibble::cpu
