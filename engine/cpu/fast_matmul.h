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

namespace nibble::cpu {

class FastMatmul {
public:
    explicit FastMatmul(const KernelTable& kernels) : kernels_(kernels) {}

    const KernelTable& kernels() const { return kernels_; }

    // y[b * rows + r] = (row r of w) . x[b] for b < batch, as cpu::matmul.
    // Not for concurrent calls on one object: the quantized inputs live in
    // a buffer it keeps between calls.
    void multiply(ThreadPool& pool, const Tensor& w, const float* x, int batch, float* y);

private:
    // The scratch of the quantized inputs, grown to the largest batch seen.
    uint8_t* activations(size_t bytes);

    const KernelTable& kernels_;
    std::unique_ptr<uint8_t[]> activations_;
    size_t activationCapacity_ = 0;
};

}  // namespace nibble::cpu
