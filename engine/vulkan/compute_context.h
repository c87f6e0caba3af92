#pragma once
// The Vulkan backend's root: the instance, the chosen device, its compute
// queue, the pipeline cache and the buffers' staging. Everything made through
// a context (buffers, recordings) must be destroyed before it. Not
// thread-safe: one thread uses a context at a time.
//
//   ComputeContext context;                       // picks the best device
//   Buffer x = context.createBuffer(bytes, MemoryKind::DeviceLocal, "x");
//   context.upload(x, std::as_bytes(std::span(values)));
//   const Pipeline& add = context.pipeline({"add", 3, sizeof(uint32_t), {256}});
//   CommandRecorder rec(context);
//   rec.dispatch(add, {reads(x), reads(y), writes(z)}, {groupsFor(n, 256)}, n);
//   context.submit(rec.finish());
//   context.download(z, std::as_writable_bytes(std::span(result)));
#include "vulkan/buffer.h"
#include "vulkan/command_buffer.h"
#include "vulkan/command_recorder.h"
#include "vulkan/device.h"
#include "vulkan/fence.h"
#include "vulkan/instance.h"
#include "vulkan/physical_device.h"
#include "vulkan/pipeline_cache.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace nibble::vulkan {

struct ContextOptions {
    std::string device;  // a device index or part of its name; empty picks the best
    // Copy straight into DeviceLocal buffers whose memory the host can see
    // (integrated GPUs, lavapipe). Off: always through staging, as on a
    // discrete GPU.
    bool mapDeviceLocal = true;
    // Uploads and downloads move through staging in pieces of this size, so
    // loading a model never needs a second copy of it in host-visible memory.
    VkDeviceSize stagingBytes = 64ull << 20;
};

class ComputeContext {
public:
    // Throws Error(NoDevice) when there is no Vulkan driver or usable device,
    // Error(InvalidArgument) when the preferred device does not exist.
    explicit ComputeContext(const ContextOptions& options = {});

    const PhysicalDevice& physicalDevice() const { return devices_[choice_.position]; }
    const std::vector<PhysicalDevice>& allDevices() const { return devices_; }
    const std::string& selectionReason() const { return choice_.reason; }
    const DeviceFeatures& features() const { return device_.enabled(); }
    VkDevice device() const { return device_.handle(); }
    const CommandPool& commandPool() const { return commandPool_; }

    bool validationEnabled() const { return instance_.validationEnabled(); }
    // Validation warnings and errors so far: tests expect 0.
    uint64_t validationMessageCount() const { return instance_.validationMessageCount(); }

    Buffer createBuffer(VkDeviceSize bytes, MemoryKind kind, std::string name);
    // Copy between host memory and a buffer, directly when it is host-visible
    // and through a staging buffer otherwise. Waits until done.
    void upload(const Buffer& destination, std::span<const std::byte> data, VkDeviceSize offset = 0);
    void download(const Buffer& source, std::span<std::byte> data, VkDeviceSize offset = 0);

    // Made on first use, then cached. Throws Error(Internal) when the
    // workgroup size (constant 0) or the push constants exceed the device's limits.
    const Pipeline& pipeline(const PipelineDesc& desc);

    // Runs the recording and waits until it has finished. A recording can be
    // submitted again and again.
    void submit(const Recording& recording);

private:
    Buffer& staging(VkDeviceSize bytes);

    ContextOptions options_;
    Instance instance_;
    std::vector<PhysicalDevice> devices_;
    DeviceChoice choice_;
    Device device_;
    PipelineCache pipelines_;
    CommandPool commandPool_;
    Fence fence_;
    std::optional<Buffer> staging_;
};

}  // namespace nibble::vulkan
