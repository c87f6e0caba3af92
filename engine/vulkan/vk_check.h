#pragma once
// Turns a failed VkResult into a nibble::Error of the matching kind.
#include <volk.h>

#include <string_view>

namespace nibble::vulkan {

// "VK_ERROR_DEVICE_LOST", for log and error messages.
const char* resultName(VkResult result);

// Throws when result is an error: OutOfMemory for the out-of-memory results,
// DeviceLost for a lost device, Internal otherwise. `what` names the call in
// words ("creating the compute pipeline for rms_norm").
void check(VkResult result, std::string_view what);

}  // namespace nibble::vulkan
