#pragma once
// The values one weight of an already quantized block can take while the
// block's scales stay fixed, and writing the code of the chosen one. Error
// compensation needs this: a block's scales are chosen once from its
// (already corrected) weights, then its weights are rounded one at a time
// so each rounding error can be passed on before the next weight is rounded.
#include "tensor/ggml_type.h"

#include <cstdint>

namespace nibble::quant {

// Weight j of a block can be scale * level + offset for the integer levels
// lo..hi, or scale * kIq4nlValues[level] when table is set.
struct ElementGrid {
    float scale = 0;
    float offset = 0;
    int lo = 0, hi = 0;
    bool table = false;

    // The level whose value is nearest to x.
    int nearest(float x) const;
    float value(int level) const;
};

// Types whose blocks BlockGrid can read and write: Q4_0, Q4_1, Q5_0, Q5_1,
// Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS.
bool hasElementGrid(GgmlType type);

// The grid of weight j (0 <= j < block size) of the block at `block`.
ElementGrid elementGrid(GgmlType type, const uint8_t* block, int j);

// Stores level (as returned by ElementGrid::nearest) for weight j of the block.
void setElementLevel(GgmlType type, uint8_t* block, int j, int level);

}  // namespace nibble::quant
