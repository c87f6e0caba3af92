#pragma once
// The Vulkan loader (libvulkan.so.1), opened at run time through volk instead
// of linked, so that Nibble starts on a computer without it and runs on the
// CPU there. Every Vulkan call in the engine goes through volk's function
// pointers (VK_NO_PROTOTYPES), which these functions fill in.
//
// NIBBLE_VULKAN_LOADER, when set, names the loader file to open instead of the
// usual one; a missing file stands for a computer without the loader.
#include <volk.h>

namespace nibble::vulkan {

// Opens the loader and resolves the calls that need no instance
// (vkCreateInstance, vkEnumerateInstance*). Once opened it stays open for the
// rest of the process; after a failure the next call tries again.
// Throws Error(NoDevice) when the loader cannot be opened.
void openLoader();

// Whether the loader can be opened (opens it when it is not open yet).
bool loaderAvailable();

// Resolves the instance and device calls through `instance`, the first time
// only: every later instance shares them (loader.cpp says why that holds).
void resolveInstanceCalls(VkInstance instance);

}  // namespace nibble::vulkan
