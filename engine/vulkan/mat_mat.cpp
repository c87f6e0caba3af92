#include "vulkan/mat_mat.h"

#include "nibble/error.h"
#include "vulkan/mat_vec.h"
#include "vulkan/pipeline.h"
#include "vulkan/product_operands.h"

#include <algorithm>
#include <string>

namespace nibble::vulkan {

namespace {

constexpr const char* kKernel = "Matrix-matrix product";
// Must match the unit the shader decodes at a time (decode_unit.glsl).
constexpr uint32_t kUnit = 32;

MatMatConfig withDefaults(const MatMatConfig& config) {
    MatMatConfig c = config;
    if (c.rowsPerTile == 0) c.rowsPerTile = 64;
    // On lavapipe 64 columns a tile ran no faster than two tiles of 32, and
    // one tile size means one pipeline per type to compile.
    if (c.colsPerTile == 0) c.colsPerTile = 32;
    if (c.rowsPerThread == 0) c.rowsPerThread = 4;
    if (c.colsPerThread == 0) c.colsPerThread = 4;
    return c;
}

// The workgroup size of a layout the device can run.
uint32_t checkedWorkgroup(const PhysicalDevice& physical, const MatMatConfig& c) {
    if (c.rowsPerThread % 4 != 0 || c.colsPerThread % 4 != 0 || c.rowsPerTile % c.rowsPerThread != 0 ||
        c.colsPerTile % c.colsPerThread != 0)
        throw Error(ErrorKind::InvalidArgument, std::string(kKernel) + ": a tile of " + std::to_string(c.rowsPerTile) +
                                                    " x " + std::to_string(c.colsPerTile) +
                                                    " is not a whole number of " + std::to_string(c.rowsPerThread) +
                                                    " x " + std::to_string(c.colsPerThread) +
                                                    " per invocation, or those are not multiples of 4");
    const uint64_t workgroup = uint64_t(c.rowsPerTile / c.rowsPerThread) * (c.colsPerTile / c.colsPerThread);
    const uint64_t shared = uint64_t(kUnit) * (c.rowsPerTile + c.colsPerTile) * sizeof(float);
    if (workgroup > std::min(physical.maxComputeWorkGroupSize[0], physical.maxComputeWorkGroupInvocations) ||
        shared > physical.maxComputeSharedMemorySize)
        throw Error(ErrorKind::InvalidArgument, std::string(kKernel) + ": tiles of " + std::to_string(c.rowsPerTile) +
                                                    " x " + std::to_string(c.colsPerTile) + " need more than " +
                                                    physical.name + " gives one workgroup");
    return uint32_t(workgroup);
}

}  // namespace

// The shader decodes weights unit by unit with the mat-vec kernel's include,
// so both read the same types.
bool matMatSupports(GgmlType type) { return matVecSupports(type); }

std::string matMatShaderName(GgmlType type) { return "mul_mm_" + std::string(typeTraits(type)->shader); }

void recordMatMat(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w,
                  VkDeviceSize wOffset, uint32_t K, uint32_t N, const Buffer& x, VkDeviceSize xOffset,
                  const Buffer& y, VkDeviceSize yOffset, uint32_t batch, const MatMatConfig& config) {
    const uint32_t rowBytes = checkedRowBytes(kKernel, matMatSupports(type), type, K, wOffset, xOffset, yOffset);
    const PhysicalDevice& physical = context.physicalDevice();
    const MatMatConfig c = withDefaults(config);
    const uint32_t workgroup = checkedWorkgroup(physical, c);
    if (K == 0 || N == 0 || batch == 0) return;

    const WorkGroups grid{groupsFor(N, c.rowsPerTile), groupsFor(batch, c.colsPerTile), 1};
    if (grid.x > physical.maxComputeWorkGroupCount[0] || grid.y > physical.maxComputeWorkGroupCount[1])
        throw Error(ErrorKind::Unsupported, std::string(kKernel) + ": " + std::to_string(N) + " rows by " +
                                                std::to_string(batch) + " columns are more tiles than " +
                                                physical.name + " can run at once");
    const Pipeline& pipeline =
        context.pipeline({matMatShaderName(type), 3, sizeof(ProductParams),
                          {workgroup, c.rowsPerTile, c.colsPerTile, c.rowsPerThread, c.colsPerThread}});
    const BufferWindow weights = bufferWindow(physical, w, wOffset, VkDeviceSize(N) * rowBytes, kKernel, "the weights");
    const BufferWindow in = bufferWindow(physical, x, xOffset, VkDeviceSize(batch) * K * 4, kKernel, "x");
    const BufferWindow out = bufferWindow(physical, y, yOffset, VkDeviceSize(batch) * N * 4, kKernel, "y");
    const ProductParams params{K, N, rowBytes, weights.base, in.base / 4, out.base / 4, batch};
    recorder.dispatch(pipeline,
                      {reads(w, weights.start, weights.size), reads(x, in.start, in.size), writes(y, out.start, out.size)},
                      grid, params);
}

}  // namespace nibble::vulkan
