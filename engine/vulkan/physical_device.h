#pragma once
// What a Vulkan device is and can do, read once at start-up, and the rule that
// picks the device the engine runs on.
#include <volk.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nibble::vulkan {

class Instance;

struct MemoryHeap {
    uint64_t bytes = 0;
    bool deviceLocal = false;
};

// The shader features Nibble's kernels can use, when the device has them.
struct DeviceFeatures {
    bool storage16 = false;          // 16-bit values in storage buffers
    bool float16 = false;            // float16_t arithmetic
    bool storage8 = false;           // 8-bit values in storage buffers
    bool int8 = false;               // int8_t arithmetic
    bool integerDotProduct = false;  // VK_KHR_shader_integer_dot_product (core in 1.3)
    bool cooperativeMatrix = false;  // VK_KHR_cooperative_matrix is offered (not enabled yet)
};

struct PhysicalDevice {
    VkPhysicalDevice handle = VK_NULL_HANDLE;
    uint32_t index = 0;  // in vkEnumeratePhysicalDevices order
    std::string name;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    std::string driver;  // "llvmpipe (Mesa 22.3.6 (LLVM 15.0.6))"
    uint32_t apiVersion = 0;  // what we may use: the lower of device and instance versions
    std::vector<MemoryHeap> heaps;
    uint32_t subgroupSize = 0;
    uint64_t maxStorageBufferRange = 0;
    uint64_t maxMemoryAllocationSize = 0;
    uint32_t maxComputeWorkGroupCount[3] = {};
    uint32_t maxComputeWorkGroupSize[3] = {};
    uint32_t maxComputeWorkGroupInvocations = 0;
    uint32_t maxComputeSharedMemorySize = 0;
    uint32_t maxPushConstantsSize = 0;
    uint64_t minStorageBufferOffsetAlignment = 0;
    float timestampPeriod = 0;  // nanoseconds per timestamp tick
    bool timestamps = false;    // the compute queue can write timestamps
    uint32_t computeQueueFamily = UINT32_MAX;
    DeviceFeatures features;
    std::vector<std::string> extensions;

    bool hasExtension(std::string_view extension) const;
    // Empty when the engine can run on it, else why not, in words.
    std::string unusableReason() const;
    // The sum of the device-local heaps.
    uint64_t deviceLocalBytes() const;
};

// "discrete GPU", "integrated GPU", "virtual GPU", "CPU" or "other device".
std::string deviceTypeName(VkPhysicalDeviceType type);
// "1.3.230"
std::string apiVersionString(uint32_t version);

// Every device the instance sees. Throws Error(NoDevice) when there is none.
std::vector<PhysicalDevice> enumeratePhysicalDevices(const Instance& instance);

struct DeviceChoice {
    size_t position = 0;  // into the list given to choosePhysicalDevice
    std::string reason;   // why, in words
};

// The named device (its index, or a case-insensitive part of its name) when
// preferred is not empty, else the best kind: discrete > integrated > virtual
// > CPU, then the most device-local memory. Throws Error(InvalidArgument) when
// the named device does not exist, and Error(NoDevice) when none is usable.
DeviceChoice choosePhysicalDevice(std::span<const PhysicalDevice> devices, std::string_view preferred);

}  // namespace nibble::vulkan
