#pragma once
// Matrix times vector(s) with the weights in their GGUF block format on the
// GPU (the tensor's raw bytes, no dequantized copy): y[b][n] = W[n] . x[b].
//
// Offsets: wOffset may be any even byte (GGUF tensors are 32-byte aligned);
// xOffset and yOffset must be multiples of 4 (whole floats). None needs the
// device's storage-buffer offset alignment: each buffer is bound from its offset rounded down to that alignment and the
// rest goes to the shader as a push constant. The weight buffer must cover
// the 4-byte word that holds the last byte of the matrix (allocate weight
// buffers in whole words).
//
// Batches: up to kMatVecColumnsPerPass columns share one pass over W (each
// weight block is read once per workgroup and used for all of them); larger
// batches take several passes, recorded one after another.
#include "tensor/ggml_type.h"
#include "vulkan/compute_context.h"

#include <cstdint>
#include <string>

namespace nibble::vulkan {

inline constexpr uint32_t kMatVecColumnsPerPass = 8;

// The types marked vulkan in tensor/ggml_type.h's table.
bool matVecSupports(GgmlType type);

// The shader module of a type matVecSupports, with subgroup arithmetic or
// with the reduction through shared memory only.
std::string matVecShaderName(GgmlType type, bool subgroups);

// Records y[b][n] = W[n] . x[b] for b < batch. w holds the tensor's GGUF bytes for N rows of K weights
// starting at wOffset (bytes); x holds batch rows of K floats at xOffset (bytes); y gets batch rows of N floats
// at yOffset. Throws Error(Unsupported) for a type matVecSupports rejects, Error(InvalidArgument) for a K that
// is not a whole number of the type's blocks, Error(Internal) for ranges past the end of a buffer or a
// misaligned x or y offset. Records nothing when K, N or batch is 0.
void recordMatVec(ComputeContext& context, CommandRecorder& recorder, GgmlType type,
                  const Buffer& w, VkDeviceSize wOffset, uint32_t K, uint32_t N,
                  const Buffer& x, VkDeviceSize xOffset, const Buffer& y, VkDeviceSize yOffset, uint32_t batch);

// How the kernel is laid out; 0 / true pick the device's defaults. For
// tuning and for tests of every code path.
struct MatVecConfig {
    uint32_t workgroupSize = 0;     // a power of two within the device's limits
    uint32_t rowsPerWorkgroup = 0;  // 1..16
    bool subgroups = true;          // false: reduce through shared memory only
};

void recordMatVec(ComputeContext& context, CommandRecorder& recorder, GgmlType type,
                  const Buffer& w, VkDeviceSize wOffset, uint32_t K, uint32_t N,
                  const Buffer& x, VkDeviceSize xOffset, const Buffer& y, VkDeviceSize yOffset, uint32_t batch,
                  const MatVecConfig& config);

}  // namespace nibble::vulkan
