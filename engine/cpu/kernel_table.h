#pragma once
// The contract between the fast CPU matrix product (cpu/fast_matmul.h) and
// the kernels written for each instruction set (cpu/kernels/).
//
// The fast product quantizes each input row into 8-bit blocks (the
// activation format the weight type pairs with), and for refined inputs its
// rounding remainder into a second row (or, for kernels that ask, the row
// as 16-bit values: RefinedInput), then asks a kernel for tiles of dot
// products computed in integer arithmetic. Every kernel set
// starts from the portable one and overrides what its instruction set does
// faster, so a type missing from, say, the AVX-512 file still runs there.
//
// Kernel files are compiled with the build's baseline flags and switch their
// own code to the wider instruction set with `#pragma GCC target`, after all
// their #includes: inline functions from headers then stay baseline code, so
// the linker can never pick an AVX-512 copy of one for a machine without it.
// That is why this header holds only plain types and declarations.
#include <cstddef>
#include <cstdint>

namespace nibble::cpu {

// Instruction-set levels, each a superset of the one before on its
// architecture.
enum class Isa : uint8_t {
    Portable,    // plain C++, any processor
    Avx2,        // x86-64 with AVX2, FMA and F16C
    Avx512Vnni,  // x86-64 with AVX-512 F/BW/VL/VNNI (Ice Lake, Zen 4 and later)
    // AVX-512 VNNI with AMX-INT8 tiles (Sapphire Rapids and later), where the
    // operating system grants the process their registers
    Avx512Amx,
    NeonDot,     // ARM64 with the dot-product extension
};

// How an input row is quantized before a product.
enum class ActivationFormat : uint8_t {
    Q8_0,  // blocks of 32, for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4
    Q8_K,  // blocks of 256, for Q2_K .. Q6_K, IQ4_XS, the grid i-quants, TQ1_0, TQ2_0
    F32,   // left as floats, for F32, F16, BF16
    Q16_0, // blocks of 32 16-bit values, a refined input in one row (RefinedInput::Q16_0)
};
inline constexpr int kActivationFormats = 4;

// x[j] ~ d * q[j]; sum = d * (q[0] + ... + q[31]), which the formats with a
// minimum (Q4_1, Q5_1) and the offset formats (Q4_0, Q5_0) need.
struct ActivationQ8_0 {
    float d;
    float sum;
    int8_t q[32];
};
static_assert(sizeof(ActivationQ8_0) == 40);

// x[j] ~ d * q[j]; bsums[i] = q[16 i] + ... + q[16 i + 15], which the
// K-quants' per-sub-block minimums need.
struct ActivationQ8_K {
    float d;
    int8_t q[256];
    int16_t bsums[16];
};
static_assert(sizeof(ActivationQ8_K) == 292);

// Two blocks of 32 inputs as 16-bit values, x[j] ~ d * q[j] with d the
// block's largest magnitude / 32767: as fine as a refined pair (whose
// 256 q + r spans -32639..32639), in one value per input, for vpdpwssd.
// q holds block 0's inputs 0-15, block 1's 0-15, block 0's 16-31, then block
// 1's 16-31, so a 512-bit register's products of both halves land in the
// int32 lanes 0-7 (block 0) and 8-15 (block 1); d repeats each block's step
// in those lanes. A row of an odd block count ends in a pair whose second
// block is zero, step included; rows are padded to whole pairs.
struct ActivationQ16_0 {
    int16_t q[64];
    float d[16];
};
static_assert(sizeof(ActivationQ16_0) == 192);

// Quantizes k inputs (a multiple of the format's block size) into `out`.
using QuantizeRowFn = void (*)(const float* x, void* out, int64_t k);
// Quantizes k inputs into a refined pair (WeightKernel::refinedDot): the
// 8-bit row into `coarse`, its remainder into `fine`, the same bytes as the
// format's QuantizeRowFn followed by cpu::quantizeRemainder (fast_matmul.h)
// in one pass over the inputs.
using QuantizeRefinedFn = void (*)(const float* x, void* coarse, void* fine, int64_t k);

// gate[i] = act(gate[i]) * up[i] for i < n: a gated feed-forward layer's
// activation (GELU with the tanh approximation, or SiLU). Every set
// computes the same exp approximation (kernels/activation_portable.cpp says
// which), accurate to a few float roundings, so a set changes only speed.
using GatedActivationFn = void (*)(float* gate, const float* up, size_t n);

// The largest tile a DotTileFn is asked for.
inline constexpr int kMaxTileRows = 4;
inline constexpr int kMaxTileCols = 4;

// y[c * ldy + r] = (weight row r) . (input row c), for r < rows and c < cols,
// 1 <= rows <= kMaxTileRows, 1 <= cols <= kMaxTileCols. `w` is weight row 0
// (rows are wStride bytes apart, in the type's GGUF block layout), `x` is
// input row 0 in the type's activation format (xStride bytes apart), k the
// row length in weights, a multiple of the type's block size.
using DotTileFn = void (*)(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride,
                           int cols, float* y, size_t ldy);

// How a kernel takes refined inputs. A pair is two rows in its activation
// format: the 8-bit blocks, then the remainder of their rounding with every
// block's scale exactly 1/256 of the first row's. The pair stands for
// d * (q[j] + r[j] / 256), so a block's two integer sums combine exactly,
// 256 * (w . q) + (w . r), before its one float multiply. Q16_0 is one row
// of ActivationQ16_0, as fine, for a set whose 16-bit multiplies take a
// block in fewer instructions than the pair's two 8-bit ones (AVX-512's
// vpdpwssd: no unsigned-weight offset to take out, no shift).
enum class RefinedInput : uint8_t {
    Pair,
    Q16_0,
};

struct WeightKernel {
    ActivationFormat activation = ActivationFormat::F32;
    DotTileFn dot = nullptr;  // null: this set has no kernel for the type
    // A DotTileFn over refined inputs: input c is rows 2c and 2c + 1 from x
    // (xStride apart), cols counts inputs, unless refinedInput says Q16_0. Every kernel with 8-bit inputs
    // has one; null for F32 inputs, which are exact already.
    DotTileFn refinedDot = nullptr;
    // Q16_0: refinedDot's input c is row c, in ActivationFormat::Q16_0.
    RefinedInput refinedInput = RefinedInput::Pair;
    // Optional: a DotTileFn over refined inputs (taken as promptInput says)
    // in tiles of up to promptRows x promptCols, for products over more
    // inputs than kMaxTileCols (a prompt). A tile's weight decoding serves
    // all its inputs, so larger tiles decode less often per product;
    // one-input products (decoding) keep refinedDot's tiles, which stream
    // more weight rows at once.
    DotTileFn promptDot = nullptr;
    RefinedInput promptInput = RefinedInput::Pair;
    int promptRows = 0;
    int promptCols = 0;
};

// Indexed by GGUF type number (GgmlType) and by ActivationFormat.
inline constexpr int kTypeSlots = 40;

struct KernelTable {
    Isa isa = Isa::Portable;
    WeightKernel weights[kTypeSlots] = {};
    QuantizeRowFn quantize[kActivationFormats] = {};
    // Null: the format's quantize, then cpu::quantizeRemainder.
    QuantizeRefinedFn quantizeRefined[kActivationFormats] = {};
    GatedActivationFn geluGate = nullptr;
    GatedActivationFn siluGate = nullptr;
};

// Each kernel file adds its entries to a table; kernels.cpp composes them,
// portable first. Functions for an instruction set the build does not target
// (NEON on x86-64, AVX on ARM) are not compiled.
void addLegacyPortable(KernelTable& table);
void addKQuantPortable(KernelTable& table);
void addFloatPortable(KernelTable& table);
void addIQuantPortable(KernelTable& table);
void addActivationPortable(KernelTable& table);
void addLegacyAvx2(KernelTable& table);
void addKQuantAvx2(KernelTable& table);
void addFloatAvx2(KernelTable& table);
void addIQuantAvx2(KernelTable& table);
void addActivationAvx2(KernelTable& table);
void addLegacyAvx512(KernelTable& table);
void addKQuantAvx512(KernelTable& table);
void addFloatAvx512(KernelTable& table);
void addLegacyAmx(KernelTable& table);
void addKQuantAmx(KernelTable& table);
void addLegacyNeon(KernelTable& table);
void addKQuantNeon(KernelTable& table);
void addFloatNeon(KernelTable& table);
void addIQuantNeon(KernelTable& table);

}  // namespace nibble::cpu
