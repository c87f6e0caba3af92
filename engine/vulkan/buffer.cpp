#include "vulkan/buffer.h"

#include "nibble/error.h"
#include "vulkan/physical_device.h"
#include "vulkan/vk_check.h"

#include <cstdio>
#include <initializer_list>
#include <optional>

namespace nibble::vulkan {

namespace {

// The first memory type, in order of preference, that the buffer may live in.
std::optional<uint32_t> findMemoryType(VkPhysicalDevice physical, uint32_t allowedTypes,
                                       std::initializer_list<std::pair<VkMemoryPropertyFlags, VkMemoryPropertyFlags>> wanted) {
    VkPhysicalDeviceMemoryProperties memory;
    vkGetPhysicalDeviceMemoryProperties(physical, &memory);
    for (const auto& [required, avoided] : wanted) {
        for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
            const VkMemoryPropertyFlags flags = memory.memoryTypes[i].propertyFlags;
            if ((allowedTypes & (1u << i)) && (flags & required) == required && !(flags & avoided)) return i;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string formatBytes(uint64_t bytes) {
    static constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    if (unit == 0) std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    else std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

Buffer::Buffer(VkDevice device, const PhysicalDevice& physical, VkDeviceSize bytes, MemoryKind kind, std::string name,
               bool mapDeviceLocal)
    : size_(bytes), name_(std::move(name)) {
    const std::string what = "a " + formatBytes(bytes) + " buffer for " + name_ + " on " + physical.name;
    if (bytes == 0) throw Error(ErrorKind::Internal, "Cannot create " + what + ": buffers must not be empty");
    if (physical.maxMemoryAllocationSize && bytes > physical.maxMemoryAllocationSize)
        throw Error(ErrorKind::OutOfMemory, "Cannot allocate " + what + ": this GPU allows at most " +
                                                formatBytes(physical.maxMemoryAllocationSize) + " in one allocation.");

    VkBufferCreateInfo info{};

    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    info.size = bytes;
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    check(vkCreateBuffer(device, &info, nullptr, &buffer), "Creating " + what);
    buffer_ = BufferHandle(device, buffer);

    VkMemoryRequirements requirements;
    vkGetBufferMemoryRequirements(device, buffer, &requirements);
    constexpr VkMemoryPropertyFlags deviceLocal = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    constexpr VkMemoryPropertyFlags hostVisible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    const auto type = kind == MemoryKind::DeviceLocal
        // Device-local memory the host cannot see first: the host-visible kind is often a small window.
        ? findMemoryType(physical.handle, requirements.memoryTypeBits,
                         {{deviceLocal, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT}, {deviceLocal, 0}, {0, 0}})
        : findMemoryType(physical.handle, requirements.memoryTypeBits,
                         {{hostVisible | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, 0}, {hostVisible, 0}});
    if (!type) throw Error(ErrorKind::Internal, "Cannot create " + what + ": the GPU offers no suitable memory type");

    VkPhysicalDeviceMemoryProperties memory;
    vkGetPhysicalDeviceMemoryProperties(physical.handle, &memory);
    const VkMemoryType& memoryType = memory.memoryTypes[*type];
    const VkDeviceSize heapBytes = memory.memoryHeaps[memoryType.heapIndex].size;

    VkMemoryAllocateInfo allocation{};

    allocation.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    allocation.allocationSize = requirements.size;
    allocation.memoryTypeIndex = *type;
    VkDeviceMemory deviceMemory = VK_NULL_HANDLE;
    const VkResult result = vkAllocateMemory(device, &allocation, nullptr, &deviceMemory);
    if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
        throw Error(ErrorKind::OutOfMemory, "Cannot allocate " + what + ": the GPU is out of memory (its memory heap holds " +
                                                formatBytes(heapBytes) + " in all). A smaller model or a shorter context may fit.");
    check(result, "Allocating " + what);
    memory_ = MemoryHandle(device, deviceMemory);
    check(vkBindBufferMemory(device, buffer, deviceMemory, 0), "Binding memory to " + what);

    const bool mappable = (memoryType.propertyFlags & hostVisible) == hostVisible;
    if (mappable && (kind == MemoryKind::HostVisible || mapDeviceLocal)) {
        void* data = nullptr;
        check(vkMapMemory(device, deviceMemory, 0, VK_WHOLE_SIZE, 0, &data), "Mapping " + what);
        mapped_ = {static_cast<std::byte*>(data), static_cast<size_t>(bytes)};
    }
}

}  // namespace nibble::vulkan
