#pragma once
// A pool of storage-buffer descriptor sets. Sets are never freed one by one:
// they live as long as the pool, which a Recording owns with its commands.
#include "vulkan/device_handle.h"

#include <volk.h>

#include <cstdint>
#include <optional>

namespace nibble::vulkan {

class DescriptorPool {
public:
    DescriptorPool(VkDevice device, uint32_t maxSets, uint32_t maxBuffers);

    // A set of that layout, or nothing when the pool is full.
    std::optional<VkDescriptorSet> allocate(VkDescriptorSetLayout layout);

private:
    DescriptorPoolHandle pool_;
};

}  // namespace nibble::vulkan
