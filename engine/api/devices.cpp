// nibble::listDevices: the Vulkan devices as the app's settings page shows them;
// nibble::vulkanLoaderInstalled.
#include "nibble/engine.h"
#include "nibble/error.h"
#include "vulkan/instance.h"
#include "vulkan/loader.h"
#include "vulkan/physical_device.h"

#include <optional>

namespace nibble {

std::vector<DeviceInfo> listDevices(const std::string& preferred) {
    const vulkan::Instance instance;
    const std::vector<vulkan::PhysicalDevice> devices = vulkan::enumeratePhysicalDevices(instance);

    std::optional<vulkan::DeviceChoice> choice;
    std::string note;
    try {
        choice = vulkan::choosePhysicalDevice(devices, preferred);
    } catch (const Error& e) {
        // Listing still helps when the named device is gone or unusable: show
        // what the engine would pick instead, and why.
        if (preferred.empty() || (e.kind() != ErrorKind::InvalidArgument && e.kind() != ErrorKind::NoDevice)) throw;
        note = std::string(e.what()) + " Instead, ";
        try {
            choice = vulkan::choosePhysicalDevice(devices, {});
        } catch (const Error& e) {
            if (e.kind() != ErrorKind::NoDevice) throw;
        }
    }

    std::vector<DeviceInfo> result;
    for (size_t i = 0; i < devices.size(); ++i) {
        const vulkan::PhysicalDevice& d = devices[i];
        DeviceInfo info;
        info.index = d.index;
        info.name = d.name;
        info.type = vulkan::deviceTypeName(d.type);
        info.driver = d.driver;
        info.apiVersion = vulkan::apiVersionString(d.apiVersion);
        info.deviceLocalBytes = d.deviceLocalBytes();
        info.subgroupSize = d.subgroupSize;
        info.maxStorageBufferRange = d.maxStorageBufferRange;
        info.maxMemoryAllocationSize = d.maxMemoryAllocationSize;
        info.fp16 = d.features.float16 && d.features.storage16;
        info.int8 = d.features.int8 && d.features.storage8;
        info.integerDotProduct = d.features.integerDotProduct;
        info.cooperativeMatrix = d.features.cooperativeMatrix;
        if (choice && choice->position == i) {
            info.selected = true;
            info.selectionReason = note.empty() ? "Chosen because " + choice->reason : note + "chose it because " + choice->reason;
        } else if (std::string why = d.unusableReason(); !why.empty()) {
            info.selectionReason = "Nibble cannot use it: " + why + ".";
        }
        result.push_back(std::move(info));
    }
    return result;
}

bool vulkanLoaderInstalled() { return vulkan::loaderAvailable(); }

}  // namespace nibble
