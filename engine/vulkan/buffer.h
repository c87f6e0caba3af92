#pragma once
// A storage buffer with its own memory allocation.
#include "vulkan/device_handle.h"

#include <volk.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace nibble::vulkan {

struct PhysicalDevice;

enum class MemoryKind {
    DeviceLocal,  // fastest for shaders; mapped too when the device shares memory with the host
    HostVisible,  // staging: always mapped, coherent, used to move data to and from DeviceLocal buffers
};

class Buffer {
public:
    // Throws Error(OutOfMemory) with the sizes when the device cannot hold
    // `bytes` in one allocation or the allocation fails. name appears in
    // error messages ("the KV cache"). mapDeviceLocal: map a DeviceLocal
    // buffer when its memory happens to be host-visible.
    Buffer(VkDevice device, const PhysicalDevice& physical, VkDeviceSize bytes, MemoryKind kind, std::string name,
           bool mapDeviceLocal = true);

    VkBuffer handle() const { return buffer_.get(); }
    VkDeviceSize size() const { return size_; }
    const std::string& name() const { return name_; }
    // The whole buffer in host memory, or empty when it is not host-visible.
    std::span<std::byte> mapped() const { return mapped_; }

private:
    MemoryHandle memory_;  // freed (and so unmapped) after the buffer that uses it is destroyed
    BufferHandle buffer_;
    VkDeviceSize size_ = 0;
    std::string name_;
    std::span<std::byte> mapped_;
};

// "1.5 GiB", "640 KiB", "12 bytes"
std::string formatBytes(uint64_t bytes);

}  // namespace nibble::vulkan
