#include "vulkan/device.h"

#include "vulkan/vk_check.h"

#include <vector>

namespace nibble::vulkan {

Device::Device(const PhysicalDevice& physical) {
    const DeviceFeatures& has = physical.features;
    enabled_ = has;
    enabled_.cooperativeMatrix = false;

    VkPhysicalDevice16BitStorageFeatures storage16{};

    storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    storage16.storageBuffer16BitAccess = enabled_.storage16;
    VkPhysicalDevice8BitStorageFeatures storage8{};
    storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
    storage8.storageBuffer8BitAccess = enabled_.storage8;
    VkPhysicalDeviceShaderFloat16Int8Features float16Int8{};
    float16Int8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
    float16Int8.shaderFloat16 = enabled_.float16;
    float16Int8.shaderInt8 = enabled_.int8;
    VkPhysicalDeviceShaderIntegerDotProductFeatures dot{};
    dot.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES;
    dot.shaderIntegerDotProduct = VK_TRUE;
    storage16.pNext = &storage8;
    storage8.pNext = &float16Int8;

    std::vector<const char*> extensions;
    if (enabled_.integerDotProduct) {
        float16Int8.pNext = &dot;
        // Core from 1.3; before that the extension must be enabled.
        if (physical.apiVersion < VK_API_VERSION_1_3) extensions.push_back(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
    }

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queueInfo{};
    queueInfo.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    queueInfo.queueFamilyIndex = physical.computeQueueFamily;
    queueInfo.queueCount = 1;
    queueInfo.pQueuePriorities = &priority;

    VkDeviceCreateInfo info{};

    info.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    info.pNext = &storage16;
    info.queueCreateInfoCount = 1;
    info.pQueueCreateInfos = &queueInfo;
    info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    check(vkCreateDevice(physical.handle, &info, nullptr, &device_), "Opening the Vulkan device " + physical.name);
    vkGetDeviceQueue(device_, physical.computeQueueFamily, 0, &queue_);
}

Device::~Device() {
    vkDeviceWaitIdle(device_);
    vkDestroyDevice(device_, nullptr);
}

}  // namespace nibble::vulkan
