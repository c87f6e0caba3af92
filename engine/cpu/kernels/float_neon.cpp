// F32, F16 and BF16 weights against f32 inputs, with NEON.
//
// As in the portable kernel, weights are widened to f32 a chunk at a time,
// once per row (F16 with the hardware conversion, BF16 by a shift into the
// high half), and the chunk is multiplied with every input row of the tile
// using four vector accumulators of four lanes.
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"

#include <algorithm>
#include <cstring>

#include <arm_neon.h>

// Plain ARMv8 NEON (with its f16 to f32 conversion) is the baseline of
// every ARM64 build; the target matches the other NEON kernel files.
#pragma GCC target("arch=armv8.2-a+dotprod")

namespace nibble::cpu {
namespace {

constexpr int64_t kChunk = 256;
constexpr int64_t kStep = 16;  // floats per loop: four registers

struct F32 {
    static constexpr size_t kBytes = 4;
    static void widen(const uint8_t* p, float* out, int64_t n) { std::memcpy(out, p, size_t(n) * 4); }
};

struct F16 {
    static constexpr size_t kBytes = 2;
    static void widen(const uint8_t* p, float* out, int64_t n) {
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            vst1q_f32(out + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p + 2 * i)))));
        for (; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, p + 2 * i, 2);
            out[i] = halfToFloat(h);
        }
    }
};

struct BF16 {
    static constexpr size_t kBytes = 2;
    static void widen(const uint8_t* p, float* out, int64_t n) {
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            vst1q_f32(out + i,
                      vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(p + 2 * i)), 16)));
        for (; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, p + 2 * i, 2);
            out[i] = bf16ToFloat(h);
        }
    }
};

template <class Format>
void dotTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
             float* y, size_t ldy) {
    float32x4_t acc[kMaxTileCols][kMaxTileRows][4];
    for (auto& col : acc)
        for (auto& row : col)
            for (float32x4_t& lanes : row) lanes = vdupq_n_f32(0.0f);
    float tail[kMaxTileCols][kMaxTileRows] = {};
    float weights[kChunk];
    for (int64_t start = 0; start < k; start += kChunk) {
        const int64_t n = std::min(kChunk, k - start);
        const int64_t whole = n / kStep * kStep;
        for (int r = 0; r < rows; ++r) {
            Format::widen(w + r * wStride + size_t(start) * Format::kBytes, weights, n);
            for (int c = 0; c < cols; ++c) {
                // F32 inputs are the caller's float rows, so float-aligned as vld1q_f32 needs.
                const auto* in = reinterpret_cast<const float*>(x + c * xStride + size_t(start) * 4);
                float32x4_t* lanes = acc[c][r];
                for (int64_t i = 0; i < whole; i += kStep)
                    for (int v = 0; v < 4; ++v)
                        lanes[v] = vfmaq_f32(lanes[v], vld1q_f32(weights + i + 4 * v), vld1q_f32(in + i + 4 * v));
                for (int64_t i = whole; i < n; ++i) tail[c][r] += weights[i] * in[i];
            }
        }
    }
    for (int c = 0; c < cols; ++c)
        for (int r = 0; r < rows; ++r) {
            const float32x4_t sum = vaddq_f32(vaddq_f32(acc[c][r][0], acc[c][r][1]), vaddq_f32(acc[c][r][2], acc[c][r][3]));
            y[c * ldy + r] = tail[c][r] + vaddvq_f32(sum);
        }
}

void set(KernelTable& table, GgmlType type, DotTileFn dot) {
    table.weights[static_cast<int>(type)] = {ActivationFormat::F32, dot};
}

}  // namespace

void addFloatNeon(KernelTable& table) {
    set(table, GgmlType::F32, dotTile<F32>);
    set(table, GgmlType::F16, dotTile<F16>);
    set(table, GgmlType::BF16, dotTile<BF16>);
}

}  // namespace nibble::cpu
