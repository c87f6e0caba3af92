#include "vulkan/mat_vec.h"

#include "nibble/error.h"
#include "vulkan/pipeline.h"

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

std::string shaderName(GgmlType type) {
    switch (type) {
    case GgmlType::F32: return "mul_mat_vec_f32";
    case GgmlType::F16: return "mul_mat_vec_f16";
    case GgmlType::BF16: return "mul_mat_vec_bf16";
    case GgmlType::Q4_0: return "mul_mat_vec_q4_0";
    case GgmlType::Q4_1: return "mul_mat_vec_q4_1";
    case GgmlType::Q5_0: return "mul_mat_vec_q5_0";
    case GgmlType::Q5_1: return "mul_mat_vec_q5_1";
    case GgmlType::Q8_0: return "mul_mat_vec_q8_0";
    case GgmlType::Q4_K: return "mul_mat_vec_q4_k";
    case GgmlType::Q5_K: return "mul_mat_vec_q5_k";
    case GgmlType::Q6_K: return "mul_mat_vec_q6_k";
    default: return {};
    }
}

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

// The part of a buffer one pass reads or writes, bound from an aligned offset.
struct Window {
    VkDeviceSize start;  // aligned binding offset
    VkDeviceSize size;   // binding size
    uint32_t base;       // bytes from start to the data
};

Window window(const PhysicalDevice& physical, const Buffer& buffer, VkDeviceSize offset, VkDeviceSize bytes,
              const char* what) {
    if (offset > buffer.size() || bytes > buffer.size() - offset)
        throw Error(ErrorKind::Internal, std::string("Matrix-vector product: ") + what + " needs " +
                                             std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                                             " of " + buffer.name() + ", which holds " + std::to_string(buffer.size()));
    const VkDeviceSize alignment = std::max<VkDeviceSize>(physical.minStorageBufferOffsetAlignment, 4);
    const VkDeviceSize start = offset / alignment * alignment;
    const VkDeviceSize base = offset - start;
    // Whole words: the shader reads 32-bit words.
    const VkDeviceSize size = std::min((base + bytes + 3) / 4 * 4, buffer.size() - start);
    if (base + bytes > UINT32_MAX)
        throw Error(ErrorKind::OutOfMemory, std::string("Matrix-vector product: the ") + formatBytes(bytes) + " of " +
                                                what + " are more than one kernel can address (4 GiB)");
    return {start, size, static_cast<uint32_t>(base)};
}

uint32_t pickWorkgroupSize(const PhysicalDevice& physical, uint32_t requested) {
    const uint32_t limit = std::bit_floor(std::min(physical.maxComputeWorkGroupSize[0], physical.maxComputeWorkGroupInvocations));
    if (requested == 0) return std::min(kDefaultWorkgroup, limit);
    if (!std::has_single_bit(requested) || requested > limit)
        throw Error(ErrorKind::InvalidArgument, "Matrix-vector workgroup size " + std::to_string(requested) +
                                                    " is not a power of two up to " + std::to_string(limit));
    return requested;
}

}  // namespace

bool matVecSupports(GgmlType type) { return !shaderName(type).empty(); }

void recordMatVec(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w,
                  VkDeviceSize wOffset, uint32_t K, uint32_t N, const Buffer& x, VkDeviceSize xOffset,
                  const Buffer& y, VkDeviceSize yOffset, uint32_t batch) {
    recordMatVec(context, recorder, type, w, wOffset, K, N, x, xOffset, y, yOffset, batch, MatVecConfig{});
}

void recordMatVec(ComputeContext& context, CommandRecorder& recorder, GgmlType type, const Buffer& w,
                  VkDeviceSize wOffset, uint32_t K, uint32_t N, const Buffer& x, VkDeviceSize xOffset,
                  const Buffer& y, VkDeviceSize yOffset, uint32_t batch, const MatVecConfig& config) {
    const std::string shader = shaderName(type);
    if (shader.empty())
        throw Error(ErrorKind::Unsupported,
                    "The GPU cannot multiply " + std::string(typeName(type)) + " weights yet");
    const TypeTraits traits = *typeTraits(static_cast<uint32_t>(type));
    if (K % traits.blockSize != 0)
        throw Error(ErrorKind::InvalidArgument, "A row of " + std::to_string(K) + " " + std::string(traits.name) +
                                                    " weights is not a whole number of blocks of " +
                                                    std::to_string(traits.blockSize));
    if (xOffset % 4 != 0 || yOffset % 4 != 0 || wOffset % 2 != 0)
        throw Error(ErrorKind::Internal,
                    "Matrix-vector product: x and y offsets must be whole floats, the weights' offset even");
    if (config.rowsPerWorkgroup > kMaxRows)
        throw Error(ErrorKind::InvalidArgument, "Matrix-vector product: at most " + std::to_string(kMaxRows) +
                                                    " rows per workgroup");
    if (K == 0 || N == 0 || batch == 0) return;

    const PhysicalDevice& physical = context.physicalDevice();
    const uint32_t rowBytes = K / traits.blockSize * traits.blockBytes;
    const uint32_t workgroup = pickWorkgroupSize(physical, config.workgroupSize);
    const uint32_t rows = config.rowsPerWorkgroup != 0 ? config.rowsPerWorkgroup : kDefaultRows;
    const uint32_t columns = batch == 1 ? 1 : kMatVecColumnsPerPass;
    if (VkDeviceSize(workgroup) * rows * columns * sizeof(float) > physical.maxComputeSharedMemorySize)
        throw Error(ErrorKind::InvalidArgument, "Matrix-vector product: " + std::to_string(rows) +
                                                    " rows per workgroup of " + std::to_string(workgroup) +
                                                    " need more shared memory than " + physical.name + " has");
    const bool subgroups = config.subgroups && hasSubgroupArithmetic(physical);
    const Pipeline& pipeline =
        context.pipeline({subgroups ? shader : shader + "_shmem", 3, sizeof(MatVecParams), {workgroup, rows, columns}});

    const Window weights = window(physical, w, wOffset, VkDeviceSize(N) * rowBytes, "the weights");
    const uint32_t groups = (N + rows - 1) / rows;
    const uint32_t groupsX = std::min(groups, physical.maxComputeWorkGroupCount[0]);
    const WorkGroups grid{groupsX, (groups + groupsX - 1) / groupsX, 1};

    for (uint32_t first = 0; first < batch; first += kMatVecColumnsPerPass) {
        const uint32_t cols = std::min(batch - first, kMatVecColumnsPerPass);
        const Window in = window(physical, x, xOffset + VkDeviceSize(first) * K * 4, VkDeviceSize(cols) * K * 4, "x");
        const Window out = window(physical, y, yOffset + VkDeviceSize(first) * N * 4, VkDeviceSize(cols) * N * 4, "y");
        const MatVecParams params{K, N, rowBytes, weights.base, in.base / 4, out.base / 4, cols};
        recorder.dispatch(pipeline,
                          {reads(w, weights.start, weights.size), reads(x, in.start, in.size),
                           writes(y, out.start, out.size)},
                          grid, params);
    }
}

}  // namespace nibble::vulkan
