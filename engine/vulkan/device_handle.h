#pragma once
// Owns one Vulkan object that belongs to a VkDevice and is destroyed with
// vkDestroyX(device, handle, nullptr). The concept classes (Buffer, Pipeline,
// ...) are built from these, so none of them writes a destructor by hand.
// Destroy is the address of volk's pointer to vkDestroyX, which is only
// filled in at run time, once the Vulkan loader is open.
#include <volk.h>

#include <utility>

namespace nibble::vulkan {

template <typename T, void(VKAPI_PTR** Destroy)(VkDevice, T, const VkAllocationCallbacks*)>
class DeviceHandle {
public:
    DeviceHandle() = default;
    DeviceHandle(VkDevice device, T handle) : device_(device), handle_(handle) {}
    ~DeviceHandle() { reset(); }

    DeviceHandle(DeviceHandle&& other) noexcept
        : device_(other.device_), handle_(std::exchange(other.handle_, VK_NULL_HANDLE)) {}
    DeviceHandle& operator=(DeviceHandle&& other) noexcept {
        if (this != &other) {
            reset();
            device_ = other.device_;
            handle_ = std::exchange(other.handle_, VK_NULL_HANDLE);
        }
        return *this;
    }
    DeviceHandle(const DeviceHandle&) = delete;
    DeviceHandle& operator=(const DeviceHandle&) = delete;

    T get() const { return handle_; }
    VkDevice device() const { return device_; }
    explicit operator bool() const { return handle_ != VK_NULL_HANDLE; }

    void reset() {
        if (handle_ != VK_NULL_HANDLE) (*Destroy)(device_, std::exchange(handle_, VK_NULL_HANDLE), nullptr);
    }

private:
    VkDevice device_ = VK_NULL_HANDLE;
    T handle_ = VK_NULL_HANDLE;
};

using BufferHandle = DeviceHandle<VkBuffer, &vkDestroyBuffer>;
using MemoryHandle = DeviceHandle<VkDeviceMemory, &vkFreeMemory>;
using ShaderModuleHandle = DeviceHandle<VkShaderModule, &vkDestroyShaderModule>;
using DescriptorSetLayoutHandle = DeviceHandle<VkDescriptorSetLayout, &vkDestroyDescriptorSetLayout>;
using PipelineLayoutHandle = DeviceHandle<VkPipelineLayout, &vkDestroyPipelineLayout>;
using PipelineHandle = DeviceHandle<VkPipeline, &vkDestroyPipeline>;
using PipelineCacheHandle = DeviceHandle<VkPipelineCache, &vkDestroyPipelineCache>;
using DescriptorPoolHandle = DeviceHandle<VkDescriptorPool, &vkDestroyDescriptorPool>;
using CommandPoolHandle = DeviceHandle<VkCommandPool, &vkDestroyCommandPool>;
using FenceHandle = DeviceHandle<VkFence, &vkDestroyFence>;
using QueryPoolHandle = DeviceHandle<VkQueryPool, &vkDestroyQueryPool>;

}  // namespace nibble::vulkan
