#include "vulkan/descriptor_pool.h"

#include "vulkan/vk_check.h"

namespace nibble::vulkan {

DescriptorPool::DescriptorPool(VkDevice device, uint32_t maxSets, uint32_t maxBuffers) {
    const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, maxBuffers};
    VkDescriptorPoolCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
    info.maxSets = maxSets;
    info.poolSizeCount = 1;
    info.pPoolSizes = &size;
    VkDescriptorPool pool = VK_NULL_HANDLE;
    check(vkCreateDescriptorPool(device, &info, nullptr, &pool), "Creating a descriptor pool");
    pool_ = DescriptorPoolHandle(device, pool);
}

std::optional<VkDescriptorSet> DescriptorPool::allocate(VkDescriptorSetLayout layout) {
    VkDescriptorSetAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    info.descriptorPool = pool_.get();
    info.descriptorSetCount = 1;
    info.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    const VkResult result = vkAllocateDescriptorSets(pool_.device(), &info, &set);
    if (result == VK_ERROR_OUT_OF_POOL_MEMORY || result == VK_ERROR_FRAGMENTED_POOL) return std::nullopt;
    check(result, "Allocating a descriptor set");
    return set;
}

}  // namespace nibble::vulkan
