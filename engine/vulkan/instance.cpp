#include "vulkan/instance.h"

#include "nibble/error.h"
#include "vulkan/loader.h"
#include "vulkan/vk_check.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace nibble::vulkan {

namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

const char* const kNoDriverMessage =
    "No Vulkan GPU driver was found on this computer, so Nibble cannot use the GPU. "
    "Installing or updating the graphics driver for your GPU usually fixes this; "
    "until then Nibble can still run models on the CPU.";

VKAPI_ATTR VkBool32 VKAPI_CALL onDebugMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                             VkDebugUtilsMessageTypeFlagsEXT,
                                             const VkDebugUtilsMessengerCallbackDataEXT* data, void* userData) {
    const char* text = data && data->pMessage ? data->pMessage : "(no message)";
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        spdlog::error("Vulkan validation: {}", text);
    } else {
        spdlog::warn("Vulkan validation: {}", text);
    }
    static_cast<std::atomic<uint64_t>*>(userData)->fetch_add(1);
    return VK_FALSE;  // the call goes on, as the spec asks of applications
}

bool hasLayer(const char* name) {
    uint32_t count = 0;
    if (vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return false;
    std::vector<VkLayerProperties> layers(count);
    if (vkEnumerateInstanceLayerProperties(&count, layers.data()) < 0) return false;
    return std::any_of(layers.begin(), layers.end(), [&](const auto& l) { return std::strcmp(l.layerName, name) == 0; });
}

bool hasInstanceExtension(const char* layer, const char* name) {
    uint32_t count = 0;
    if (vkEnumerateInstanceExtensionProperties(layer, &count, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> extensions(count);
    if (vkEnumerateInstanceExtensionProperties(layer, &count, extensions.data()) < 0) return false;
    return std::any_of(extensions.begin(), extensions.end(),
                       [&](const auto& e) { return std::strcmp(e.extensionName, name) == 0; });
}

}  // namespace

bool validationRequested() {
    const char* value = std::getenv("NIBBLE_VK_VALIDATION");
    return value && std::string_view(value) == "1";
}

Instance::Instance() {
    openLoader();
    // A 1.0 loader cannot create a newer instance, and lacks the call that
    // says so; every later loader accepts 1.3.
    uint32_t loaderVersion = VK_API_VERSION_1_0;
    if (!vkEnumerateInstanceVersion || vkEnumerateInstanceVersion(&loaderVersion) != VK_SUCCESS)
        loaderVersion = VK_API_VERSION_1_0;
    apiVersion_ = std::min<uint32_t>(loaderVersion, VK_API_VERSION_1_3);
    if (apiVersion_ < VK_API_VERSION_1_1)
        throw Error(ErrorKind::NoDevice,
                    "The Vulkan loader on this computer is too old (Vulkan 1.0). Updating the graphics driver "
                    "usually fixes this; until then Nibble can still run models on the CPU.");

    VkApplicationInfo app{};

    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "Nibble";
    app.pEngineName = "Nibble";
    app.apiVersion = apiVersion_;

    std::vector<const char*> layers;
    std::vector<const char*> extensions;
    VkInstanceCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    info.pApplicationInfo = &app;

    VkDebugUtilsMessengerCreateInfoEXT messengerInfo{};

    messengerInfo.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    messengerInfo.messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messengerInfo.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                                VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messengerInfo.pfnUserCallback = onDebugMessage;
    messengerInfo.pUserData = messages_.get();

    const VkValidationFeatureEnableEXT enabledChecks[] = {VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT validationFeatures{};
    validationFeatures.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
    validationFeatures.enabledValidationFeatureCount = 1;
    validationFeatures.pEnabledValidationFeatures = enabledChecks;

    bool validation = false;
    if (validationRequested()) {
        if (!hasLayer(kValidationLayer) || !hasInstanceExtension(nullptr, VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
            spdlog::warn("NIBBLE_VK_VALIDATION=1 but {} or {} is not installed; running without validation",
                         kValidationLayer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        } else {
            validation = true;
            layers.push_back(kValidationLayer);
            extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
            // Messages from vkCreateInstance and vkDestroyInstance reach the callback too.
            info.pNext = &messengerInfo;
            if (hasInstanceExtension(kValidationLayer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME)) {
                extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
                messengerInfo.pNext = &validationFeatures;
            }
        }
    }
    // MoltenVK (macOS) is a portability driver: loaders since 1.3.216 list such
    // drivers only to instances that ask for them. Older loaders lack the
    // extension and list every driver anyway.
    if (hasInstanceExtension(nullptr, VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME)) {
        extensions.push_back(VK_KHR_PORTABILITY_ENUMERATION_EXTENSION_NAME);
        info.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
    }
    info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();

    const VkResult result = vkCreateInstance(&info, nullptr, &instance_);
    if (result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED)
        throw Error(ErrorKind::NoDevice, std::string(kNoDriverMessage) + " (" + resultName(result) + ")");
    check(result, "Creating the Vulkan instance");
    resolveInstanceCalls(instance_);

    if (validation) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
        messengerInfo.pNext = nullptr;
        if (!create || create(instance_, &messengerInfo, nullptr, &messenger_) != VK_SUCCESS) {
            vkDestroyInstance(instance_, nullptr);
            throw Error(ErrorKind::Internal, "Could not install the Vulkan validation message handler");
        }
        spdlog::debug("Vulkan validation layer enabled");
    }
}

Instance::~Instance() {
    if (messenger_ != VK_NULL_HANDLE) {
        auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
        if (destroy) destroy(instance_, messenger_, nullptr);
    }
    vkDestroyInstance(instance_, nullptr);
}

}  // namespace nibble::vulkan
