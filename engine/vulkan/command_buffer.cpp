#include "vulkan/command_buffer.h"

#include "vulkan/vk_check.h"

#include <utility>

namespace nibble::vulkan {

CommandPool::CommandPool(VkDevice device, uint32_t queueFamily) {
    VkCommandPoolCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    info.queueFamilyIndex = queueFamily;
    VkCommandPool pool = VK_NULL_HANDLE;
    check(vkCreateCommandPool(device, &info, nullptr, &pool), "Creating a command pool");
    pool_ = CommandPoolHandle(device, pool);
}

CommandBuffer::CommandBuffer(const CommandPool& pool) : device_(pool.device()), pool_(pool.handle()) {
    VkCommandBufferAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    info.commandPool = pool_;
    info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    info.commandBufferCount = 1;
    check(vkAllocateCommandBuffers(device_, &info, &buffer_), "Allocating a command buffer");
}

CommandBuffer::CommandBuffer(CommandBuffer&& other) noexcept
    : device_(other.device_), pool_(other.pool_), buffer_(std::exchange(other.buffer_, VK_NULL_HANDLE)) {}

CommandBuffer::~CommandBuffer() {
    if (buffer_ != VK_NULL_HANDLE) vkFreeCommandBuffers(device_, pool_, 1, &buffer_);
}

}  // namespace nibble::vulkan
