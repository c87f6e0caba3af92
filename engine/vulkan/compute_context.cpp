#include "vulkan/compute_context.h"

#include "nibble/error.h"
#include "vulkan/vk_check.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace nibble::vulkan {

namespace {

void checkRange(const Buffer& buffer, VkDeviceSize offset, size_t bytes, const char* what) {
    if (offset > buffer.size() || bytes > buffer.size() - offset)
        throw Error(ErrorKind::Internal, std::string(what) + " " + std::to_string(bytes) + " bytes at offset " +
                                             std::to_string(offset) + " of " + buffer.name() + ", which holds only " +
                                             std::to_string(buffer.size()));
}

}  // namespace

ComputeContext::ComputeContext(const ContextOptions& options)
    : options_(options),
      devices_(enumeratePhysicalDevices(instance_)),
      choice_(choosePhysicalDevice(devices_, options.device)),
      device_(devices_[choice_.position]),
      pipelines_(device_.handle()),
      commandPool_(device_.handle(), devices_[choice_.position].computeQueueFamily),
      fence_(device_.handle()) {
    spdlog::info("Vulkan: using {} ({}, {}), because {}", physicalDevice().name, deviceTypeName(physicalDevice().type),
                 physicalDevice().driver, choice_.reason);
}

Buffer ComputeContext::createBuffer(VkDeviceSize bytes, MemoryKind kind, std::string name) {
    return Buffer(device_.handle(), physicalDevice(), bytes, kind, std::move(name), options_.mapDeviceLocal);
}

Buffer& ComputeContext::staging(VkDeviceSize bytes) {
    if (!staging_ || staging_->size() < bytes) {
        staging_.reset();
        staging_.emplace(createBuffer(bytes, MemoryKind::HostVisible, "staging"));
    }
    return *staging_;
}

void ComputeContext::upload(const Buffer& destination, std::span<const std::byte> data, VkDeviceSize offset) {
    checkRange(destination, offset, data.size(), "Cannot upload");
    if (data.empty()) return;
    if (!destination.mapped().empty()) {
        std::memcpy(destination.mapped().data() + offset, data.data(), data.size());
        return;
    }
    Buffer& stage = staging(std::min<VkDeviceSize>(data.size(), options_.stagingBytes));
    for (size_t done = 0; done < data.size(); done += stage.size()) {
        const size_t bytes = std::min<size_t>(stage.size(), data.size() - done);
        std::memcpy(stage.mapped().data(), data.data() + done, bytes);
        CommandRecorder recorder(*this);
        recorder.copy(stage, 0, destination, offset + done, bytes);
        submit(recorder.finish());
    }
}

void ComputeContext::download(const Buffer& source, std::span<std::byte> data, VkDeviceSize offset) {
    checkRange(source, offset, data.size(), "Cannot download");
    if (data.empty()) return;
    if (!source.mapped().empty()) {
        std::memcpy(data.data(), source.mapped().data() + offset, data.size());
        return;
    }
    Buffer& stage = staging(std::min<VkDeviceSize>(data.size(), options_.stagingBytes));
    for (size_t done = 0; done < data.size(); done += stage.size()) {
        const size_t bytes = std::min<size_t>(stage.size(), data.size() - done);
        CommandRecorder recorder(*this);
        recorder.copy(source, offset + done, stage, 0, bytes);
        submit(recorder.finish());
        std::memcpy(data.data() + done, stage.mapped().data(), bytes);
    }
}

void ComputeContext::submit(const Recording& recording) {
    VkCommandBuffer commands = recording.commands_.handle();
    VkSubmitInfo info{};
    info.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    info.commandBufferCount = 1;
    info.pCommandBuffers = &commands;
    check(vkQueueSubmit(device_.queue(), 1, &info, fence_.handle()), "Submitting work to the GPU");
    fence_.waitAndReset();
    recording.submitted_ = true;
}

const Pipeline& ComputeContext::pipeline(const PipelineDesc& desc) {
    const PhysicalDevice& d = physicalDevice();
    if (!desc.specialization.empty() && (desc.specialization[0] == 0 || desc.specialization[0] > d.maxComputeWorkGroupSize[0] ||
                                         desc.specialization[0] > d.maxComputeWorkGroupInvocations))
        throw Error(ErrorKind::Internal, desc.shader + ": a workgroup of " + std::to_string(desc.specialization[0]) +
                                             " invocations, and " + d.name + " allows 1 to " +
                                             std::to_string(std::min(d.maxComputeWorkGroupSize[0], d.maxComputeWorkGroupInvocations)));
    if (desc.pushConstantBytes > d.maxPushConstantsSize)
        throw Error(ErrorKind::Internal, desc.shader + ": " + std::to_string(desc.pushConstantBytes) +
                                             " bytes of push constants, and " + d.name + " allows " +
                                             std::to_string(d.maxPushConstantsSize));
    return pipelines_.get(desc);
}

}  // namespace nibble::vulkan
