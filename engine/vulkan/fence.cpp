#include "vulkan/fence.h"

#include "vulkan/vk_check.h"

#include <cstdint>

namespace nibble::vulkan {

Fence::Fence(VkDevice device) {
    VkFenceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    VkFence fence = VK_NULL_HANDLE;
    check(vkCreateFence(device, &info, nullptr, &fence), "Creating a fence");
    fence_ = FenceHandle(device, fence);
}

void Fence::waitAndReset() {
    VkFence fence = fence_.get();
    check(vkWaitForFences(fence_.device(), 1, &fence, VK_TRUE, UINT64_MAX), "Waiting for the GPU");
    check(vkResetFences(fence_.device(), 1, &fence), "Resetting a fence");
}

}  // namespace nibble::vulkan
