// dotRow decodes one block at a time into a small stack buffer and
// accumulates into 16 independent lanes: a single running sum would be a
// serial dependency the compiler may not reorder (no -ffast-math), while
// fixed lanes vectorise into plain SIMD multiply-adds.
#include "tensor/dequantize.h"

#include "tensor/block_decode.h"
#include "tensor/half.h"
#include "tensor/row_blocks.h"

#include <cstring>

namespace nibble {
namespace {

constexpr int kLanes = 16;

struct Lanes {
    float sum[kLanes] = {};

    // n must be a multiple of kLanes.
    void add(const float* a, const float* b, int n) {
        for (int j = 0; j < n; j += kLanes)
            for (int k = 0; k < kLanes; ++k) sum[k] += a[j + k] * b[j + k];
    }

    float total() const {
        float t = 0;
        for (float s : sum) t += s;
        return t;
    }
};

template <typename Block>
float dotBlocks(const uint8_t* row, const float* x, int64_t n) {
    constexpr int kWeights = Block::kWeights;
    static_assert(kWeights % kLanes == 0);
    Lanes lanes;
    alignas(64) float weights[kWeights];
    const int64_t count = n / kWeights;
    for (int64_t i = 0; i < count; ++i) {
        blocks::decode(blocks::loadBlock<Block>(row, i), weights);
        lanes.add(weights, x + i * kWeights, kWeights);
    }
    return lanes.total();
}

// F16 and BF16 rows have no blocks: decode them kLanes at a time, then the tail.
template <float (*toFloat)(uint16_t)>
float dotHalfRow(const uint8_t* row, const float* x, int64_t n) {
    Lanes lanes;
    const int64_t whole = n - n % kLanes;
    for (int64_t i = 0; i < whole; i += kLanes) {
        uint16_t bits[kLanes];
        std::memcpy(bits, row + 2 * i, sizeof bits);
        float weights[kLanes];
        for (int k = 0; k < kLanes; ++k) weights[k] = toFloat(bits[k]);
        lanes.add(weights, x + i, kLanes);
    }
    float tail = 0;
    for (int64_t i = whole; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, row + 2 * i, 2);
        tail += toFloat(bits) * x[i];
    }
    return lanes.total() + tail;
}

float dotF32Row(const uint8_t* row, const float* x, int64_t n) {
    Lanes lanes;
    const int64_t whole = n - n % kLanes;
    for (int64_t i = 0; i < whole; i += kLanes) {
        float weights[kLanes];
        std::memcpy(weights, row + 4 * i, sizeof weights);
        lanes.add(weights, x + i, kLanes);
    }
    float tail = 0;
    for (int64_t i = whole; i < n; ++i) {
        float w;
        std::memcpy(&w, row + 4 * i, 4);
        tail += w * x[i];
    }
    return lanes.total() + tail;
}

}  // namespace

float dotRow(GgmlType type, const uint8_t* row, const float* x, int64_t n) {
    blocks::checkRow(type, n, "compute a dot product with");
    switch (type) {
    case GgmlType::F32: return dotF32Row(row, x, n);
    case GgmlType::F16: return dotHalfRow<halfToFloat>(row, x, n);
    case GgmlType::BF16: return dotHalfRow<bf16ToFloat>(row, x, n);
    default: break;
    }
    float result = 0;
    blocks::withBlockType(type, [&](auto tag) { result = dotBlocks<decltype(tag)>(row, x, n); });
    return result;
}

}  // namespace nibble
