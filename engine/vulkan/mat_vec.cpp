#include "vulkan/mat_vec.h"

#include "nibble/error.h"
#include "vulkan/pipeline.h"
#include "vulkan/product_operands.h"

#include <algorithm>
#include <bit>
#include <string>

namespace nibble::vulkan {

namespace {

// Must match the push_constant block of shaders/mul_mat_vec.comp.
struct MatVecParams {
    uint32_t K;
    uint32_t N;
    uint32_t rowBytes;
    uint32_t wBase;
    uint32_t xBase;
    uint32_t yBase;
    uint32_t cols;
};

constexpr uint32_t kDefaultWorkgroup = 64;
constexpr uint32_t kDefaultRows = 2;
constexpr uint32_t kMaxRows = 16;
// On a CPU implementation (lavapipe) every load is a loop over the SIMD lanes
// and every workgroup of more than one subgroup pays for its barrier, so one
// subgroup per workgroup and the most rows sharing each read of x: 4x faster
// there than the GPU defaults (bench_mat_vec, Q4_1 and Q8_0). Only for one
// column: LLVM takes over a minute to compile 16 rows x 8 columns unrolled.
constexpr uint32_t kCpuDeviceRows = kMaxRows;

bool isCpuDevice(const PhysicalDevice& physical) { return physical.type == VK_PHYSICAL_DEVICE_TYPE_CPU; }
constexpr const char* kKernel = "Matrix-vector product";

bool hasSubgroupArithmetic(const PhysicalDevice& physical) {
    VkPhysicalDeviceSubgroupProperties subgroup{};
    subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
    VkPhysicalDeviceProperties2 properties{};
    properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    properties.pNext = &subgroup;
    vkGetPhysicalDeviceProperties2(physical.handle, &properties);
    constexpr VkSubgroupFeatureFlags needed = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
    return (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && (subgroup.supportedOperations & needed) == needed;
}

uint32_t pickWorkgroupSize(const PhysicalDevice& physical, uint32_t requested) {
    const uint32_t limit = std::bit_floor(std::min(physical.maxComputeWorkGroupSize[0], physical.maxComputeWorkGroupInvocations));
    if (requested == 0) {
        if (isCpuDevice(physical) && std::has_single_bit(physical.subgroupSize))
            return std::min(physical.subgroupSize, limit);
        return std::min(kDefaultWorkgroup, limit);
    }
    if (!std::has_single_bit(requested) || requested > limit)
        throw Error(ErrorKind::InvalidArgument, "Matrix-vector workgroup size " + std::to_string(requested) +
                                                    " is not a power of two up to " + std::to_string(limit));
    return requested;
}

}  // namespace

bool matVecSupports(GgmlType type) { return isVulkanWeightType(type); }

std::string matVecShaderName(GgmlType type, bool subgroups) {
    return "mul_mat_vec_" + std::string(typeTraits(type)->shader) + (subgroups ? "" : "_shmem");
}

void recordMatVec(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w,
                  VkDeviceSize wOffset, uint32_t K, uint32_t N, const Buffer& x, VkDeviceSize xOffset,
                  const Buffer& y, VkDeviceSize yOffset, uint32_t batch) {
    recordMatVec(context, recorder, type, w, wOffset, K, N, x, xOffset, y, yOffset, batch, MatVecConfig{});
}

void recordMatVec(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w,
                  VkDeviceSize wOffset, uint32_t K, uint32_t N, const Buffer& x, VkDeviceSize xOffset,
                  const Buffer& y, VkDeviceSize yOffset, uint32_t batch, const MatVecConfig& config) {
    const uint32_t rowBytes = checkedRowBytes(kKernel, matVecSupports(type), type, K, wOffset, xOffset, yOffset);
    if (config.rowsPerWorkgroup > kMaxRows)
        throw Error(ErrorKind::InvalidArgument, "Matrix-vector product: at most " + std::to_string(kMaxRows) +
                                                    " rows per workgroup");
    if (K == 0 || N == 0 || batch == 0) return;

    const PhysicalDevice& physical = context.physicalDevice();
    const uint32_t workgroup = pickWorkgroupSize(physical, config.workgroupSize);
    const uint32_t columns = batch == 1 ? 1 : kMatVecColumnsPerPass;
    const uint32_t rows = config.rowsPerWorkgroup != 0           ? config.rowsPerWorkgroup
                          : isCpuDevice(physical) && columns == 1 ? kCpuDeviceRows
                                                                  : kDefaultRows;
    if (VkDeviceSize(workgroup) * rows * columns * sizeof(float) > physical.maxComputeSharedMemorySize)
        throw Error(ErrorKind::InvalidArgument, "Matrix-vector product: " + std::to_string(rows) +
                                                    " rows per workgroup of " + std::to_string(workgroup) +
                                                    " need more shared memory than " + physical.name + " has");
    const bool subgroups = config.subgroups && hasSubgroupArithmetic(physical);
    // Every pass's x starts 16 bytes into its binding when the first does:
    // the window alignment and each column's K floats keep that.
    const uint32_t xVec4 = xOffset % 16 == 0 && K % 4 == 0;
    const Pipeline& pipeline = context.pipeline(
        {matVecShaderName(type, subgroups), 3, sizeof(MatVecParams), {workgroup, rows, columns, xVec4}});

    const BufferWindow weights = bufferWindow(physical, w, wOffset, VkDeviceSize(N) * rowBytes, kKernel, "the weights");
    const uint32_t groups = (N + rows - 1) / rows;
    const uint32_t groupsX = std::min(groups, physical.maxComputeWorkGroupCount[0]);
    const WorkGroups grid{groupsX, (groups + groupsX - 1) / groupsX, 1};

    for (uint32_t first = 0; first < batch; first += kMatVecColumnsPerPass) {
        const uint32_t cols = std::min(batch - first, kMatVecColumnsPerPass);
        const BufferWindow in =
            bufferWindow(physical, x, xOffset + VkDeviceSize(first) * K * 4, VkDeviceSize(cols) * K * 4, kKernel, "x");
        const BufferWindow out =
            bufferWindow(physical, y, yOffset + VkDeviceSize(first) * N * 4, VkDeviceSize(cols) * N * 4, kKernel, "y");
        const MatVecParams params{K, N, rowBytes, weights.base, in.base / 4, out.base / 4, cols};
        recorder.dispatch(pipeline,
                          {reads(w, weights.start, weights.size), reads(x, in.start, in.size),
                           writes(y, out.start, out.size)},
                          grid, params);
    }
}

}  // namespace nibble::vulkan
