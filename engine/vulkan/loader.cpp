#include "vulkan/loader.h"

#include "nibble/error.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>
#include <string>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace nibble::vulkan {

namespace {

#if defined(_WIN32)
constexpr const char* kLoaderName = "vulkan-1.dll";
#elif defined(__APPLE__)
constexpr const char* kLoaderName = "libvulkan.1.dylib";
#else
constexpr const char* kLoaderName = "libvulkan.so.1";
#endif

// volk keeps its function pointers in process-wide variables, so what has
// been filled in is process-wide too.
struct LoaderState {
    std::mutex mutex;
    bool open = false;
    bool instanceCallsResolved = false;
};

LoaderState& loaderState() {
    static LoaderState state;
    return state;
}

// The loader's entry point from the library at `path`, or null when that
// cannot be opened. On success the library stays open for good: volk's
// pointers point into it.
PFN_vkGetInstanceProcAddr entryPointOf(const std::string& path) {
#ifdef _WIN32
    HMODULE library = LoadLibraryA(path.c_str());
    if (!library) {
        spdlog::info("Vulkan loader {} could not be opened (error {})", path, GetLastError());
        return nullptr;
    }
    auto entry = reinterpret_cast<PFN_vkGetInstanceProcAddr>(GetProcAddress(library, "vkGetInstanceProcAddr"));
    if (!entry) FreeLibrary(library);
#else
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        spdlog::info("Vulkan loader {} could not be opened: {}", path, dlerror());
        return nullptr;
    }
    auto entry = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(library, "vkGetInstanceProcAddr"));
    if (!entry) dlclose(library);
#endif
    if (!entry) spdlog::info("{} is not a Vulkan loader: it has no vkGetInstanceProcAddr", path);
    return entry;
}

// Opens the loader the environment names, or else the one volk looks for.
bool openNamedOrUsualLoader() {
    if (const char* named = std::getenv("NIBBLE_VULKAN_LOADER"); named && *named) {
        const PFN_vkGetInstanceProcAddr entry = entryPointOf(named);
        if (entry) volkInitializeCustom(entry);
        return entry != nullptr;
    }
#ifdef __APPLE__
    // The app bundle carries its own loader in Contents/Frameworks, where a
    // plain dlopen by name (volk's search) does not look.
    if (const PFN_vkGetInstanceProcAddr entry = entryPointOf("@executable_path/../Frameworks/libvulkan.1.dylib")) {
        volkInitializeCustom(entry);
        return true;
    }
#endif
    return volkInitialize() == VK_SUCCESS;
}

}  // namespace

void openLoader() {
    LoaderState& state = loaderState();
    const std::lock_guard lock(state.mutex);
    if (state.open) return;
    if (!openNamedOrUsualLoader())
        throw Error(ErrorKind::NoDevice,
                    std::string("The Vulkan loader (") + kLoaderName + ") is not installed, so Nibble runs on the CPU.");
    state.open = true;
}

bool loaderAvailable() {
    try {
        openLoader();
        return true;
    } catch (const Error&) {
        return false;
    }
}

void resolveInstanceCalls(VkInstance instance) {
    LoaderState& state = loaderState();
    const std::lock_guard lock(state.mutex);
    if (state.instanceCallsResolved) return;
    // For core calls the loader hands out the same trampolines to every
    // instance, and the trampolines dispatch on the handle they are given
    // (through any layers), so the pointers resolved through the first
    // instance serve all later ones, also after it is destroyed. Resolving
    // them again would rewrite pointers other threads are calling through.
    // The extension calls that do depend on the instance (debug utils) are
    // looked up per instance by their users.
    volkLoadInstance(instance);
    state.instanceCallsResolved = true;
}

}  // namespace nibble::vulkan
