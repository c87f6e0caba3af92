#pragma once
// Command pools and the command buffers allocated from them. A CommandBuffer
// can be submitted any number of times once recorded.
#include "vulkan/device_handle.h"

#include <volk.h>

#include <cstdint>

namespace nibble::vulkan {

class CommandPool {
public:
    CommandPool(VkDevice device, uint32_t queueFamily);

    VkDevice device() const { return pool_.device(); }
    VkCommandPool handle() const { return pool_.get(); }

private:
    CommandPoolHandle pool_;
};

class CommandBuffer {
public:
    // Must not outlive the pool.
    explicit CommandBuffer(const CommandPool& pool);
    ~CommandBuffer();
    CommandBuffer(CommandBuffer&& other) noexcept;
    CommandBuffer& operator=(CommandBuffer&&) = delete;
    CommandBuffer(const CommandBuffer&) = delete;
    CommandBuffer& operator=(const CommandBuffer&) = delete;

    VkCommandBuffer handle() const { return buffer_; }

private:
    VkDevice device_;
    VkCommandPool pool_;
    VkCommandBuffer buffer_ = VK_NULL_HANDLE;
};

}  // namespace nibble::vulkan
