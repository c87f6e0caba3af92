#include "vulkan/physical_device.h"

#include "nibble/error.h"
#include "vulkan/instance.h"
#include "vulkan/vk_check.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace nibble::vulkan {

namespace {

constexpr const char* kCooperativeMatrixExtension = "VK_KHR_cooperative_matrix";

std::vector<std::string> deviceExtensions(VkPhysicalDevice device) {
    uint32_t count = 0;
    check(vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr), "Listing device extensions");
    std::vector<VkExtensionProperties> properties(count);
    check(vkEnumerateDeviceExtensionProperties(device, nullptr, &count, properties.data()), "Listing device extensions");
    std::vector<std::string> names;
    for (uint32_t i = 0; i < count; ++i) names.emplace_back(properties[i].extensionName);
    return names;
}

// A queue family that can run compute shaders; a compute-only one first,
// since it does not share time with a desktop's rendering.
void findComputeQueue(PhysicalDevice& d) {
    uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(d.handle, &count, nullptr);
    std::vector<VkQueueFamilyProperties> families(count);
    vkGetPhysicalDeviceQueueFamilyProperties(d.handle, &count, families.data());
    for (bool computeOnly : {true, false}) {
        for (uint32_t i = 0; i < count; ++i) {
            const auto flags = families[i].queueFlags;
            if (!(flags & VK_QUEUE_COMPUTE_BIT) || (computeOnly && (flags & VK_QUEUE_GRAPHICS_BIT))) continue;
            d.computeQueueFamily = i;
            d.timestamps = families[i].timestampValidBits > 0;
            return;
        }
    }
}

void readProperties(PhysicalDevice& d) {
    VkPhysicalDeviceSubgroupProperties subgroup{};
    subgroup.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
    VkPhysicalDeviceMaintenance3Properties maintenance3{};
    maintenance3.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES;
    VkPhysicalDeviceDriverProperties driver{};
    driver.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
    VkPhysicalDeviceProperties2 properties{};
    properties.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    // Only structures of the version the device has may be chained.
    if (d.apiVersion >= VK_API_VERSION_1_1) {
        properties.pNext = &subgroup;
        subgroup.pNext = &maintenance3;
    }
    if (d.apiVersion >= VK_API_VERSION_1_2) maintenance3.pNext = &driver;
    vkGetPhysicalDeviceProperties2(d.handle, &properties);

    const VkPhysicalDeviceLimits& limits = properties.properties.limits;
    d.name = properties.properties.deviceName;
    d.type = properties.properties.deviceType;
    d.subgroupSize = subgroup.subgroupSize;
    d.maxStorageBufferRange = limits.maxStorageBufferRange;
    d.maxMemoryAllocationSize = maintenance3.maxMemoryAllocationSize;
    std::copy_n(limits.maxComputeWorkGroupCount, 3, d.maxComputeWorkGroupCount);
    std::copy_n(limits.maxComputeWorkGroupSize, 3, d.maxComputeWorkGroupSize);
    d.maxComputeWorkGroupInvocations = limits.maxComputeWorkGroupInvocations;
    d.maxComputeSharedMemorySize = limits.maxComputeSharedMemorySize;
    d.maxPushConstantsSize = limits.maxPushConstantsSize;
    d.minStorageBufferOffsetAlignment = limits.minStorageBufferOffsetAlignment;
    d.timestampPeriod = limits.timestampPeriod;
    if (d.apiVersion >= VK_API_VERSION_1_2) {
        d.driver = std::string(driver.driverName) + " (" + driver.driverInfo + ")";
    } else {
        d.driver = "driver version " + std::to_string(properties.properties.driverVersion);
    }
    // Some drivers report no timestamp period at all on queues that have timestamps.
    d.timestamps = d.timestamps && limits.timestampPeriod > 0;
}

void readFeatures(PhysicalDevice& d) {
    d.features.cooperativeMatrix = d.hasExtension(kCooperativeMatrixExtension);
    if (d.apiVersion < VK_API_VERSION_1_2) return;

    VkPhysicalDevice16BitStorageFeatures storage16{};

    storage16.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES;
    VkPhysicalDevice8BitStorageFeatures storage8{};
    storage8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES;
    VkPhysicalDeviceShaderFloat16Int8Features float16Int8{};
    float16Int8.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES;
    VkPhysicalDeviceShaderIntegerDotProductFeatures dot{};
    dot.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES;
    VkPhysicalDeviceFeatures2 features{};
    features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
    features.pNext = &storage16;
    storage16.pNext = &storage8;
    storage8.pNext = &float16Int8;
    if (d.apiVersion >= VK_API_VERSION_1_3 || d.hasExtension(VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME))
        float16Int8.pNext = &dot;
    vkGetPhysicalDeviceFeatures2(d.handle, &features);

    d.features.storage16 = storage16.storageBuffer16BitAccess;
    d.features.storage8 = storage8.storageBuffer8BitAccess;
    d.features.float16 = float16Int8.shaderFloat16;
    d.features.int8 = float16Int8.shaderInt8;
    d.features.integerDotProduct = dot.shaderIntegerDotProduct;
}

void readMemory(PhysicalDevice& d) {
    VkPhysicalDeviceMemoryProperties memory;
    vkGetPhysicalDeviceMemoryProperties(d.handle, &memory);
    for (uint32_t i = 0; i < memory.memoryHeapCount; ++i)
        d.heaps.push_back({memory.memoryHeaps[i].size, (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0});
}

int typeRank(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
        default: return 0;
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string deviceList(std::span<const PhysicalDevice> devices) {
    std::string list;
    for (const auto& d : devices) {
        if (!list.empty()) list += ", ";
        list += std::to_string(d.index) + ": " + d.name;
    }
    return list;
}

std::string typeNote(const PhysicalDevice& d) {
    if (d.type == VK_PHYSICAL_DEVICE_TYPE_CPU)
        return " It is a software renderer running on the CPU, so Nibble's own CPU backend is usually faster.";
    return {};
}

}  // namespace

bool PhysicalDevice::hasExtension(std::string_view extension) const {
    return std::find(extensions.begin(), extensions.end(), extension) != extensions.end();
}

std::string PhysicalDevice::unusableReason() const {
    if (apiVersion < VK_API_VERSION_1_2)
        return "it supports only Vulkan " + apiVersionString(apiVersion) + ", and Nibble needs 1.2 or newer";
    if (computeQueueFamily == UINT32_MAX) return "it cannot run compute shaders";
    return {};
}

uint64_t PhysicalDevice::deviceLocalBytes() const {
    uint64_t total = 0;
    for (const auto& heap : heaps)
        if (heap.deviceLocal) total += heap.bytes;
    return total;
}

std::string deviceTypeName(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
        default: return "other device";
    }
}

std::string apiVersionString(uint32_t version) {
    return std::to_string(VK_API_VERSION_MAJOR(version)) + "." + std::to_string(VK_API_VERSION_MINOR(version)) + "." +
           std::to_string(VK_API_VERSION_PATCH(version));
}

std::vector<PhysicalDevice> enumeratePhysicalDevices(const Instance& instance) {
    uint32_t count = 0;
    VkResult result = vkEnumeratePhysicalDevices(instance.handle(), &count, nullptr);
    if (result == VK_ERROR_INITIALIZATION_FAILED) count = 0;
    else check(result, "Listing the Vulkan devices");
    if (count == 0)
        throw Error(ErrorKind::NoDevice,
                    "No Vulkan GPU was found on this computer: a Vulkan driver is installed, but it reports no "
                    "device. Installing or updating the graphics driver for your GPU usually fixes this; until "
                    "then Nibble can still run models on the CPU.");
    std::vector<VkPhysicalDevice> handles(count);
    check(vkEnumeratePhysicalDevices(instance.handle(), &count, handles.data()), "Listing the Vulkan devices");

    std::vector<PhysicalDevice> devices;
    for (uint32_t i = 0; i < count; ++i) {
        PhysicalDevice d;
        d.handle = handles[i];
        d.index = i;
        VkPhysicalDeviceProperties basic;
        vkGetPhysicalDeviceProperties(d.handle, &basic);
        d.apiVersion = std::min(basic.apiVersion, instance.apiVersion());
        d.extensions = deviceExtensions(d.handle);
        readProperties(d);
        readFeatures(d);
        readMemory(d);
        findComputeQueue(d);
        devices.push_back(std::move(d));
    }
    return devices;
}

DeviceChoice choosePhysicalDevice(std::span<const PhysicalDevice> devices, std::string_view preferred) {
    if (!preferred.empty()) {
        std::optional<size_t> found;
        uint32_t index = 0;
        auto [end, ec] = std::from_chars(preferred.data(), preferred.data() + preferred.size(), index);
        const bool isIndex = ec == std::errc() && end == preferred.data() + preferred.size();
        for (size_t i = 0; i < devices.size() && !found; ++i) {
            if (isIndex ? devices[i].index == index : lower(devices[i].name).find(lower(preferred)) != std::string::npos)
                found = i;
        }
        if (!found)
            throw Error(ErrorKind::InvalidArgument, "There is no Vulkan device \"" + std::string(preferred) +
                                                        "\" on this computer. The devices are: " + deviceList(devices) + ".");
        const PhysicalDevice& d = devices[*found];
        if (std::string why = d.unusableReason(); !why.empty())
            throw Error(ErrorKind::NoDevice, "Nibble cannot use the Vulkan device " + d.name + ": " + why + ".");
        return {*found, "you chose it (\"" + std::string(preferred) + "\")." + typeNote(d)};
    }

    std::optional<size_t> best;
    size_t usable = 0;
    for (size_t i = 0; i < devices.size(); ++i) {
        if (!devices[i].unusableReason().empty()) continue;
        ++usable;
        if (!best) {
            best = i;
            continue;
        }
        const PhysicalDevice& a = devices[i];
        const PhysicalDevice& b = devices[*best];
        if (typeRank(a.type) > typeRank(b.type) ||
            (typeRank(a.type) == typeRank(b.type) && a.deviceLocalBytes() > b.deviceLocalBytes()))
            best = i;
    }
    if (!best) {
        std::string reasons;
        for (const auto& d : devices) reasons += " " + d.name + ": " + d.unusableReason() + ".";
        throw Error(ErrorKind::NoDevice, "No Vulkan device on this computer can run Nibble." + reasons +
                                             " Updating the graphics driver may help; until then Nibble can still "
                                             "run models on the CPU.");
    }
    const PhysicalDevice& chosen = devices[*best];
    std::string reason;
    if (usable == 1) {
        reason = "it is the only Vulkan device Nibble can use on this computer.";
    } else {
        reason = "it is a " + deviceTypeName(chosen.type) + ", and Nibble prefers discrete GPUs, then integrated "
                 "GPUs, then virtual GPUs, then CPUs";
        const auto sameType = std::count_if(devices.begin(), devices.end(), [&](const PhysicalDevice& d) {
            return d.type == chosen.type && d.unusableReason().empty();
        });
        reason += sameType > 1 ? ", and it has the most memory of them." : ".";
    }
    return {*best, reason + typeNote(chosen)};
}

}  // namespace nibble::vulkan
