#pragma once
// Matrix times matrix for prompt processing, with the weights in their GGUF
// block format on the GPU (no dequantized copy): y[b][n] = W[n] . x[b] for a
// batch of token rows at once. Same operands, offsets and alignment contract
// as recordMatVec (vulkan/mat_vec.h): wOffset any even byte, xOffset and
// yOffset whole floats, weight buffers in whole 32-bit words.
//
// The kernel (shaders/mul_mm.comp) works in tiles of rows x batch columns in
// shared memory and decodes each weight once per tile of columns, where the
// matrix x vector kernel decodes it once per kMatVecColumnsPerPass columns;
// below kMatMatMinBatch columns the tile is mostly empty and recordMatVec is
// faster (see useMatMat).
//
// Not used: VK_KHR_cooperative_matrix (Debian 12's Vulkan headers 1.3.239
// and its glslang predate it), nor f16 tiles: weights are decoded to f32 so
// results match the CPU reference to float rounding.
#include "tensor/ggml_type.h"
#include "vulkan/compute_context.h"

#include <cstdint>
#include <string>

namespace nibble::vulkan {

// The smallest batch for which recordMatMat should replace recordMatVec. On
// lavapipe (bench_mat_mat, 1024 x 1024 Q4_K) the tiled kernel took 2.4x the
// mat-vec passes' time at batch 8, 1.1x at 16, 0.56x at 32 and 0.6x at 64; on a
// GPU, where mat-vec is bound by reading W once per 8 columns, the crossover
// comes earlier, so 16 favours neither device much.
inline constexpr uint32_t kMatMatMinBatch = 16;

// The same types as recordMatVec: those marked vulkan in tensor/ggml_type.h's table.
bool matMatSupports(GgmlType type);

// The shader module of a type matMatSupports.
std::string matMatShaderName(GgmlType type);

// Whether a product of this batch should go through recordMatMat rather than recordMatVec.
inline bool useMatMat(GgmlType type, uint32_t batch) { return batch >= kMatMatMinBatch && matMatSupports(type); }

// How the kernel is laid out; 0 picks the default. For tuning and for tests
// of every code path. rowsPerThread and colsPerThread must be multiples of 4
// (the kernel reads shared memory in vec4s), rowsPerTile a multiple of
// rowsPerThread, colsPerTile of colsPerThread, and the workgroup they give,
// (rowsPerTile / rowsPerThread) * (colsPerTile / colsPerThread)
// invocations, within the device's limits.
struct MatMatConfig {
    uint32_t rowsPerTile = 0;    // BM
    uint32_t colsPerTile = 0;    // BN
    uint32_t rowsPerThread = 0;  // TM
    uint32_t colsPerThread = 0;  // TN
};

// Records y[b][n] = W[n] . x[b] for b < batch: w holds N rows of K weights in the tensor's GGUF bytes at wOffset,
// x holds batch rows of K floats at xOffset, y gets batch rows of N floats at yOffset. Throws
// Error(Unsupported) for a type matMatSupports rejects, Error(InvalidArgument) for a K that is not a whole number
// of the type's blocks or a config the device cannot run, Error(Internal) for ranges past the end of a buffer or a
// misaligned offset. Records nothing when K, N or batch is 0.
void recordMatMat(ComputeContext& context, CommandRecorder& recorder, GgmlType type,
                  const Buffer& w, VkDeviceSize wOffset, uint32_t K, uint32_t N,
                  const Buffer& x, VkDeviceSize xOffset, const Buffer& y, VkDeviceSize yOffset, uint32_t batch,
                  const MatMatConfig& config = {});

}  // namespace nibble::vulkan
