#pragma once
// The logical device with one compute queue, created with every shader feature
// in DeviceFeatures that the physical device has (except cooperative matrices,
// which no kernel uses yet).
#include "vulkan/physical_device.h"

#include <volk.h>

namespace nibble::vulkan {

class Device {
public:
    explicit Device(const PhysicalDevice& physical);
    ~Device();
    Device(const Device&) = delete;
    Device& operator=(const Device&) = delete;

    VkDevice handle() const { return device_; }
    VkQueue queue() const { return queue_; }
    // What the kernels may use on this device.
    const DeviceFeatures& enabled() const { return enabled_; }

private:
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    DeviceFeatures enabled_;
};

}  // namespace nibble::vulkan
