#pragma once
// Decodes one block of each quantized format into its f32 weights. The
// arithmetic (which products are formed, in which order) follows ggml's
// dequantize_row_* exactly, so the results are bit-identical to ggml and
// gguf-py. Shared by dequantizeRow and dotRow; the loops are plain so the
// compiler vectorises them.
#include "tensor/block_formats.h"
#include "tensor/half.h"
#include "tensor/iq_grids.h"

#include <cstdint>
#include <cstring>

namespace nibble::blocks {

// Unpacks the 6-bit scale and min of sub-block s (0..7) of a Q4_K/Q5_K block.
inline void kScaleMin(int s, const uint8_t* scales, uint8_t& scale, uint8_t& min) {
    if (s < 4) {
        scale = scales[s] & 63;
        min = scales[s + 4] & 63;
    } else {
        scale = uint8_t((scales[s + 4] & 0x0f) | ((scales[s - 4] >> 6) << 4));
        min = uint8_t((scales[s + 4] >> 4) | ((scales[s] >> 6) << 4));
    }
}

// Unpacks the 16 signed scales of a Q3_K block (still offset by +32).
inline void q3kScales(const uint8_t* packed, int8_t* scales) {
    for (int s = 0; s < 16; ++s) {
        const int low = s < 8 ? packed[s] & 0x0f : packed[s - 8] >> 4;
        const int high = (packed[8 + s % 4] >> (2 * (s / 4))) & 3;
        scales[s] = int8_t(low | (high << 4));
    }
}

inline uint32_t loadU32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline void decode(const BlockQ4_0& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int j = 0; j < 16; ++j) {
        out[j] = float((b.qs[j] & 0x0f) - 8) * d;
        out[j + 16] = float((b.qs[j] >> 4) - 8) * d;
    }
}

inline void decode(const BlockQ4_1& b, float* out) {
    const float d = halfToFloat(b.d);
    const float m = halfToFloat(b.m);
    for (int j = 0; j < 16; ++j) {
        out[j] = float(b.qs[j] & 0x0f) * d + m;
        out[j + 16] = float(b.qs[j] >> 4) * d + m;
    }
}

inline void decode(const BlockQ5_0& b, float* out) {
    const float d = halfToFloat(b.d);
    const uint32_t qh = loadU32(b.qh);
    for (int j = 0; j < 16; ++j) {
        const int high0 = int((qh >> j) << 4) & 0x10;
        const int high1 = int(qh >> (j + 12)) & 0x10;
        out[j] = float(((b.qs[j] & 0x0f) | high0) - 16) * d;
        out[j + 16] = float(((b.qs[j] >> 4) | high1) - 16) * d;
    }
}

inline void decode(const BlockQ5_1& b, float* out) {
    const float d = halfToFloat(b.d);
    const float m = halfToFloat(b.m);
    const uint32_t qh = loadU32(b.qh);
    for (int j = 0; j < 16; ++j) {
        const int high0 = int((qh >> j) << 4) & 0x10;
        const int high1 = int(qh >> (j + 12)) & 0x10;
        out[j] = float((b.qs[j] & 0x0f) | high0) * d + m;
        out[j + 16] = float((b.qs[j] >> 4) | high1) * d + m;
    }
}

inline void decode(const BlockQ8_0& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int j = 0; j < 32; ++j) out[j] = float(b.qs[j]) * d;
}

inline void decode(const BlockQ2_K& b, float* out) {
    const float d = halfToFloat(b.d);
    const float dmin = halfToFloat(b.dmin);
    for (int h = 0; h < 2; ++h) {
        const uint8_t* q = b.qs + 32 * h;
        for (int k = 0; k < 4; ++k) {
            for (int part = 0; part < 2; ++part) {
                const uint8_t sc = b.scales[8 * h + 2 * k + part];
                const float dl = d * float(sc & 0x0f);
                const float ml = dmin * float(sc >> 4);
                float* y = out + 128 * h + 32 * k + 16 * part;
                for (int l = 0; l < 16; ++l) y[l] = dl * float((q[16 * part + l] >> (2 * k)) & 3) - ml;
            }
        }
    }
}

inline void decode(const BlockQ3_K& b, float* out) {
    const float d = halfToFloat(b.d);
    int8_t scales[16];
    q3kScales(b.scales, scales);
    for (int h = 0; h < 2; ++h) {
        const uint8_t* q = b.qs + 32 * h;
        for (int k = 0; k < 4; ++k) {
            const int bit = 4 * h + k;
            for (int part = 0; part < 2; ++part) {
                const float dl = d * float(scales[8 * h + 2 * k + part] - 32);
                float* y = out + 128 * h + 32 * k + 16 * part;
                for (int l = 0; l < 16; ++l) {
                    const int i = 16 * part + l;
                    const int low = (q[i] >> (2 * k)) & 3;
                    const int offset = (b.hmask[i] >> bit) & 1 ? 0 : 4;
                    y[l] = dl * float(low - offset);
                }
            }
        }
    }
}

inline void decode(const BlockQ4_K& b, float* out) {
    const float d = halfToFloat(b.d);
    const float dmin = halfToFloat(b.dmin);
    for (int c = 0; c < 4; ++c) {
        uint8_t sc, mn;
        kScaleMin(2 * c, b.scales, sc, mn);
        const float d1 = d * float(sc), m1 = dmin * float(mn);
        kScaleMin(2 * c + 1, b.scales, sc, mn);
        const float d2 = d * float(sc), m2 = dmin * float(mn);
        const uint8_t* q = b.qs + 32 * c;
        float* y = out + 64 * c;
        for (int l = 0; l < 32; ++l) {
            y[l] = d1 * float(q[l] & 0x0f) - m1;
            y[l + 32] = d2 * float(q[l] >> 4) - m2;
        }
    }
}

inline void decode(const BlockQ5_K& b, float* out) {
    const float d = halfToFloat(b.d);
    const float dmin = halfToFloat(b.dmin);
    for (int c = 0; c < 4; ++c) {
        uint8_t sc, mn;
        kScaleMin(2 * c, b.scales, sc, mn);
        const float d1 = d * float(sc), m1 = dmin * float(mn);
        kScaleMin(2 * c + 1, b.scales, sc, mn);
        const float d2 = d * float(sc), m2 = dmin * float(mn);
        const uint8_t* q = b.qs + 32 * c;
        float* y = out + 64 * c;
        for (int l = 0; l < 32; ++l) {
            const int high1 = ((b.qh[l] >> (2 * c)) & 1) << 4;
            const int high2 = ((b.qh[l] >> (2 * c + 1)) & 1) << 4;
            y[l] = d1 * float((q[l] & 0x0f) + high1) - m1;
            y[l + 32] = d2 * float((q[l] >> 4) + high2) - m2;
        }
    }
}

inline void decode(const BlockQ6_K& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int h = 0; h < 2; ++h) {
        const uint8_t* ql = b.ql + 64 * h;
        const uint8_t* qh = b.qh + 32 * h;
        const int8_t* sc = b.scales + 8 * h;
        float* y = out + 128 * h;
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            y[l] = d * float(sc[is]) * float(q1);
            y[l + 32] = d * float(sc[is + 2]) * float(q2);
            y[l + 64] = d * float(sc[is + 4]) * float(q3);
            y[l + 96] = d * float(sc[is + 6]) * float(q4);
        }
    }
}

inline void decode(const BlockIQ4_NL& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int j = 0; j < 16; ++j) {
        out[j] = d * float(kIq4nlValues[b.qs[j] & 0x0f]);
        out[j + 16] = d * float(kIq4nlValues[b.qs[j] >> 4]);
    }
}

inline void decode(const BlockIQ4_XS& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const float dl = d * float(iq4xsScale(b, s) - 32);
        const uint8_t* qs = b.qs + 16 * s;
        float* y = out + 32 * s;
        for (int j = 0; j < 16; ++j) {
            y[j] = dl * float(kIq4nlValues[qs[j] & 0x0f]);
            y[j + 16] = dl * float(kIq4nlValues[qs[j] >> 4]);
        }
    }
}

inline void decode(const BlockTQ2_0& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int h = 0; h < 2; ++h)
        for (int k = 0; k < 4; ++k)
            for (int l = 0; l < 32; ++l) out[128 * h + 32 * k + l] = float(((b.qs[32 * h + l] >> (2 * k)) & 3) - 1) * d;
}

inline void decode(const BlockTQ1_0& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 32; ++m) out[32 * n + m] = float(tq1Digit(b.qs[m], n) - 1) * d;
    for (int n = 0; n < 5; ++n)
        for (int m = 0; m < 16; ++m) out[160 + 16 * n + m] = float(tq1Digit(b.qs[32 + m], n) - 1) * d;
    for (int n = 0; n < 4; ++n)
        for (int j = 0; j < 4; ++j) out[240 + 4 * n + j] = float(tq1Digit(b.qh[j], n) - 1) * d;
}

// 2^(e - 128) as ggml_e8m0_to_fp32_half builds it: exponents 0 and 1 give subnormals.
inline float e8m0Half(uint8_t e) {
    const uint32_t bits = e < 2 ? 0x00200000u << e : uint32_t(e - 1) << 23;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline void decode(const BlockMXFP4& b, float* out) {
    const float d = e8m0Half(b.e);
    for (int j = 0; j < 16; ++j) {
        out[j] = float(kMxfp4Values[b.qs[j] & 0x0f]) * d;
        out[j + 16] = float(kMxfp4Values[b.qs[j] >> 4]) * d;
    }
}

// The grid types multiply db * grid value first, then the sign, as ggml.
inline float iqSign(uint32_t signBits, int t) { return (signBits >> t) & 1 ? -1.f : 1.f; }

inline void decode(const BlockIQ3_XXS& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const uint32_t a = loadU32(b.signs + 4 * s);
        const float db = d * (0.5f + float(a >> 28)) * 0.5f;
        for (int l = 0; l < 4; ++l) {
            const uint32_t signs = iqSignBits((a >> (7 * l)) & 127);
            const uint8_t* low = kIq3xxsGrid[b.qs[8 * s + 2 * l]];
            const uint8_t* high = kIq3xxsGrid[b.qs[8 * s + 2 * l + 1]];
            float* y = out + 32 * s + 8 * l;
            for (int t = 0; t < 4; ++t) {
                y[t] = db * float(low[t]) * iqSign(signs, t);
                y[t + 4] = db * float(high[t]) * iqSign(signs, t + 4);
            }
        }
    }
}

inline void decode(const BlockIQ2_XXS& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const uint8_t* group = b.qs + 8 * s;
        const uint32_t a = loadU32(group + 4);
        const float db = d * (0.5f + float(a >> 28)) * 0.25f;
        for (int l = 0; l < 4; ++l) {
            const uint32_t signs = iqSignBits((a >> (7 * l)) & 127);
            const uint8_t* grid = kIq2xxsGrid[group[l]];
            float* y = out + 32 * s + 8 * l;
            for (int t = 0; t < 8; ++t) y[t] = db * float(grid[t]) * iqSign(signs, t);
        }
    }
}

inline void decode(const BlockIQ3_S& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const float db = d * float(1 + 2 * ((b.scales[s / 2] >> (4 * (s % 2))) & 0x0f));
        for (int l = 0; l < 4; ++l) {
            const uint32_t signs = b.signs[4 * s + l];
            const uint8_t* low = kIq3sGrid[b.qs[8 * s + 2 * l] | (((b.qh[s] >> (2 * l)) & 1) << 8)];
            const uint8_t* high = kIq3sGrid[b.qs[8 * s + 2 * l + 1] | (((b.qh[s] >> (2 * l + 1)) & 1) << 8)];
            float* y = out + 32 * s + 8 * l;
            for (int t = 0; t < 4; ++t) {
                y[t] = db * float(low[t]) * iqSign(signs, t);
                y[t + 4] = db * float(high[t]) * iqSign(signs, t + 4);
            }
        }
    }
}

inline void decode(const BlockIQ2_XS& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const float db[2] = {d * (0.5f + float(b.scales[s] & 0x0f)) * 0.25f, d * (0.5f + float(b.scales[s] >> 4)) * 0.25f};
        for (int l = 0; l < 4; ++l) {
            const uint32_t q = b.qs[4 * s + l];
            const uint32_t signs = iqSignBits(q >> 9);
            const uint8_t* grid = kIq2xsGrid[q & 511];
            float* y = out + 32 * s + 8 * l;
            for (int t = 0; t < 8; ++t) y[t] = db[l / 2] * float(grid[t]) * iqSign(signs, t);
        }
    }
}

inline void decode(const BlockIQ2_S& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const float db[2] = {d * (0.5f + float(b.scales[s] & 0x0f)) * 0.25f, d * (0.5f + float(b.scales[s] >> 4)) * 0.25f};
        for (int l = 0; l < 4; ++l) {
            const uint8_t* grid = kIq2sGrid[b.qs[4 * s + l] | (((b.qh[s] >> (2 * l)) & 3) << 8)];
            const uint32_t signs = b.signs[4 * s + l];
            float* y = out + 32 * s + 8 * l;
            for (int t = 0; t < 8; ++t) y[t] = db[l / 2] * float(grid[t]) * iqSign(signs, t);
        }
    }
}

inline void decode(const BlockIQ1_S& b, float* out) {
    const float d = halfToFloat(b.d);
    for (int s = 0; s < 8; ++s) {
        const uint32_t qh = b.qh[s];
        const float dl = d * float(2 * ((qh >> 12) & 7) + 1);
        const float delta = qh & 0x8000 ? -kIq1Delta : kIq1Delta;
        for (int l = 0; l < 4; ++l) {
            const int8_t* grid = kIq1sGrid[b.qs[4 * s + l] | (((qh >> (3 * l)) & 7) << 8)];
            float* y = out + 32 * s + 8 * l;
            for (int t = 0; t < 8; ++t) y[t] = dl * (float(grid[t]) + delta);
        }
    }
}

inline void decode(const BlockIQ1_M& b, float* out) {
    const float d = halfToFloat(iq1mScale(b.scales));
    for (int s = 0; s < 8; ++s) {
        const uint32_t sc = b.scales[s / 2] >> (6 * (s % 2));
        const float dl[2] = {d * float(2 * (sc & 7) + 1), d * float(2 * ((sc >> 3) & 7) + 1)};
        for (int l = 0; l < 4; ++l) {
            const int g = 4 * s + l;
            const uint32_t n = (b.qh[g / 2] >> (4 * (g % 2))) & 15;
            const int8_t* grid = kIq1sGrid[b.qs[g] | ((n & 7) << 8)];
            const float delta = n & 8 ? -kIq1Delta : kIq1Delta;
            float* y = out + 8 * g;
            for (int t = 0; t < 8; ++t) y[t] = dl[l / 2] * (float(grid[t]) + delta);
        }
    }
}

}  // namespace nibble::blocks
