#pragma once
// The Vulkan instance. With NIBBLE_VK_VALIDATION=1 in the environment it
// enables the Khronos validation layer (with synchronization checks) and a
// debug messenger that logs every warning and error through spdlog and counts
// them, so tests can fail on any validation message.
#include <volk.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace nibble::vulkan {

class Instance {
public:
    // Throws Error(NoDevice) when this computer has no Vulkan loader or driver.
    Instance();
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    VkInstance handle() const { return instance_; }
    // The Vulkan version the instance was created for (VK_MAKE_API_VERSION).
    uint32_t apiVersion() const { return apiVersion_; }

    bool validationEnabled() const { return messenger_ != VK_NULL_HANDLE; }
    // Validation warnings and errors seen so far (0 when validation is off).
    uint64_t validationMessageCount() const { return messages_->load(); }

private:
    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    uint32_t apiVersion_ = 0;
    // On the heap: the messenger callback keeps its address.
    std::unique_ptr<std::atomic<uint64_t>> messages_ = std::make_unique<std::atomic<uint64_t>>(0);
};

// Whether NIBBLE_VK_VALIDATION=1 is set.
bool validationRequested();

}  // namespace nibble::vulkan
