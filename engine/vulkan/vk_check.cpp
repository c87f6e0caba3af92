#include "vulkan/vk_check.h"

#include "nibble/error.h"

#include <string>

namespace nibble::vulkan {

const char* resultName(VkResult result) {
    switch (result) {
#define NIBBLE_RESULT(r) \
    case r:              \
        return #r;
        NIBBLE_RESULT(VK_SUCCESS)
        NIBBLE_RESULT(VK_NOT_READY)
        NIBBLE_RESULT(VK_TIMEOUT)
        NIBBLE_RESULT(VK_INCOMPLETE)
        NIBBLE_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
        NIBBLE_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        NIBBLE_RESULT(VK_ERROR_INITIALIZATION_FAILED)
        NIBBLE_RESULT(VK_ERROR_DEVICE_LOST)
        NIBBLE_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
        NIBBLE_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
        NIBBLE_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
        NIBBLE_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
        NIBBLE_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
        NIBBLE_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
        NIBBLE_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
        NIBBLE_RESULT(VK_ERROR_FRAGMENTED_POOL)
        NIBBLE_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
        NIBBLE_RESULT(VK_ERROR_INVALID_SHADER_NV)
        NIBBLE_RESULT(VK_ERROR_VALIDATION_FAILED_EXT)
#undef NIBBLE_RESULT
        default:
            return "an unknown Vulkan error";
    }
}

void check(VkResult result, std::string_view what) {
    if (result >= 0) return;
    const std::string detail = std::string(what) + " failed (" + resultName(result) + ")";
    switch (result) {
        case VK_ERROR_OUT_OF_HOST_MEMORY:
            throw Error(ErrorKind::OutOfMemory, "The computer ran out of memory: " + detail);
        case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        case VK_ERROR_OUT_OF_POOL_MEMORY:
            throw Error(ErrorKind::OutOfMemory, "The GPU ran out of memory: " + detail);
        case VK_ERROR_DEVICE_LOST:
            throw Error(ErrorKind::DeviceLost,
                        "The GPU stopped responding (" + detail + "). Restarting Nibble or updating the graphics driver may help.");
        default:
            throw Error(ErrorKind::Internal, "Vulkan error: " + detail);
    }
}

}  // namespace nibble::vulkan
