#pragma once
// The fast CPU matrix product: each input row quantized once into the
// activation format its weight type pairs with, then tiles of integer dot
// products from a kernel set (cpu/kernel_table.h). A weight type the set has
// no kernel for takes the exact reference product (cpu::matmul) instead.
#include "cpu/kernel_table.h"
#include "cpu/thread_pool.h"
#include "model/model_weights.h"

#include <cstdint>
#include <memory>
#include <span>

namespace nibble::cpu {

// How finely the fast product rounds its inputs.
enum class InputPrecision {
    // One 8-bit block format: each input off by up to 1/254 of its block's
    // largest magnitude.
    Byte,
    // The 8-bit blocks plus their rounding remainder in a second row of 8-bit
    // blocks, with steps 1/256 of the first row's (kernel_table.h): about 250
    // times closer to the reference for twice the integer multiplies, and
    // the same weight reads. Kernels whose 16-bit multiplies are cheaper
    // take the same precision as one row of 16-bit values (RefinedInput).
    Refined,
};

// Quantizes what the 8-bit blocks of `coarse` (x quantized in `format`)
// leave of x into `out`, in the same format, each block's scale 1/256 of
// the coarse block's: the second row of a refined input.
void quantizeRemainder(const float* x, const uint8_t* coarse, ActivationFormat format, int64_t k, uint8_t* out);

class FastMatmul {
public:
    explicit FastMatmul(const KernelTable& kernels) : kernels_(kernels) {}

    const KernelTable& kernels() const { return kernels_; }

    // y[b * rows + r] = (row r of w) . x[b] for b < batch, as cpu::matmul.
    // Not for concurrent calls on one object: the quantized inputs live in
    // a buffer it keeps between calls.
    void multiply(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y,
                  InputPrecision precision = InputPrecision::Byte);

    // The products of several matrices with the same inputs (a layer's q, k
    // and v, or gate and up), ys[m] as multiply(ws[m]) gives it, in one pass
    // of the pool: the inputs are quantized once and the threads meet once,
    // not once per matrix (on a busy machine a meeting waits for a thread
    // to be scheduled). Matrices whose kernels take other inputs than the
    // first's (a Q5_0 matrix beside Q4_K ones) go one by one.
    void multiplyGroup(ThreadPool& pool, std::span<const Tensor* const> ws, const float* x, int batch,
                       std::span<float* const> ys, InputPrecision precision = InputPrecision::Byte);

private:
    // How one matrix's product runs: its kernel and its inputs' format.
    struct Plan {
        ActivationFormat format = ActivationFormat::F32;
        QuantizeRowFn quantize = nullptr;
        QuantizeRefinedFn quantizeRefined = nullptr;
        DotTileFn dot = nullptr;
        int tileRows = kMaxTileRows;  // the largest tile `dot` takes
        int tileCols = kMaxTileCols;
        bool pair = false;  // each input a refined pair of rows in `format`
        bool fast = false;  // false: the exact product (cpu::matmul) instead
        int64_t k = 0;
        size_t xStride = 0;  // bytes per quantized input row
    };
    // `batch` inputs: more than a tile's columns take the prompt tiles
    // (WeightKernel::promptDot) where the kernel has them.
    Plan plan(const Tensor& w, InputPrecision precision, int batch) const;
    // The inputs in the plan's format (in the scratch buffer), or x itself.
    const uint8_t* prepareInputs(ThreadPool& pool, const Plan& p, const float* x, int batch);

    // The scratch of the quantized inputs, grown to the largest batch seen,
    // its start on a cache line so that whole-line input loads stay whole.
    uint8_t* activations(size_t bytes);

    const KernelTable& kernels_;
    std::unique_ptr<uint8_t[]> activations_;
    uint8_t* alignedActivations_ = nullptr;
    size_t activationCapacity_ = 0;
};

}  // namespace nibble::cpu
