#include "vulkan/command_recorder.h"

#include "nibble/error.h"
#include "vulkan/compute_context.h"
#include "vulkan/pipeline.h"
#include "vulkan/vk_check.h"

#include <algorithm>

namespace nibble::vulkan {

namespace {

// Descriptor pools grow by this many sets; a forward pass needs a few hundred.
constexpr uint32_t kSetsPerPool = 128;
constexpr uint32_t kBuffersPerPool = kSetsPerPool * 8;

constexpr VkPipelineStageFlags kWorkStages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
constexpr VkAccessFlags kWorkWrites = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
constexpr VkAccessFlags kWorkAccess =
    VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;

bool contains(const std::vector<VkBuffer>& buffers, VkBuffer buffer) {
    return std::find(buffers.begin(), buffers.end(), buffer) != buffers.end();
}

}  // namespace

std::vector<std::pair<std::string, double>> Recording::timestamps() const {
    std::vector<std::pair<std::string, double>> result;
    if (!timestampPool_ || !submitted_) return result;
    const std::vector<double> ns = timestampPool_->read(static_cast<uint32_t>(timestampLabels_.size()));
    for (size_t i = 0; i < ns.size(); ++i) result.emplace_back(timestampLabels_[i], ns[i]);
    return result;
}

CommandRecorder::CommandRecorder(ComputeContext& context, uint32_t maxTimestamps) : context_(context) {
    recording_.emplace(Recording(CommandBuffer(context.commandPool())));
    VkCommandBufferBeginInfo info{};
    info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    check(vkBeginCommandBuffer(commandBuffer(), &info), "Starting to record GPU commands");
    if (maxTimestamps > 0 && context.physicalDevice().timestamps) {
        recording_->timestampPool_.emplace(context.device(), maxTimestamps, context.physicalDevice().timestampPeriod);
        vkCmdResetQueryPool(commandBuffer(), recording_->timestampPool_->handle(), 0, maxTimestamps);
    }
    // Orders this submission after the host's writes and after whatever the
    // previous submission (perhaps of this same recording) did.
    barrier(kWorkStages | VK_PIPELINE_STAGE_HOST_BIT, kWorkWrites | VK_ACCESS_HOST_WRITE_BIT, kWorkStages, kWorkAccess);
}

void CommandRecorder::record(const Pipeline& pipeline, std::initializer_list<BufferBinding> bindings,
                             WorkGroups groups, std::span<const std::byte> push) {
    const PipelineDesc& desc = pipeline.desc();
    const PhysicalDevice& physical = context_.physicalDevice();
    if (bindings.size() != desc.bindings)
        throw Error(ErrorKind::Internal, desc.shader + " takes " + std::to_string(desc.bindings) + " buffers, not " +
                                             std::to_string(bindings.size()));
    if (push.size() != desc.pushConstantBytes)
        throw Error(ErrorKind::Internal, desc.shader + " takes " + std::to_string(desc.pushConstantBytes) +
                                             " bytes of push constants, not " + std::to_string(push.size()));
    const uint32_t count[3] = {groups.x, groups.y, groups.z};
    for (int i = 0; i < 3; ++i) {
        if (count[i] == 0 || count[i] > physical.maxComputeWorkGroupCount[i])
            throw Error(ErrorKind::Internal, desc.shader + ": " + std::to_string(count[i]) +
                                                 " workgroups in one dimension, and this GPU allows 1 to " +
                                                 std::to_string(physical.maxComputeWorkGroupCount[i]));
    }

    std::vector<VkDescriptorBufferInfo> infos;
    std::vector<VkBuffer> read, written;
    for (const BufferBinding& b : bindings) {
        const VkDeviceSize size = b.size == VK_WHOLE_SIZE ? b.buffer->size() - std::min(b.offset, b.buffer->size()) : b.size;
        if (b.offset + size > b.buffer->size() || size == 0)
            throw Error(ErrorKind::Internal, desc.shader + ": binding " + std::to_string(b.offset) + "+" +
                                                 std::to_string(size) + " bytes of " + b.buffer->name() +
                                                 ", which holds " + std::to_string(b.buffer->size()));
        if (b.offset % physical.minStorageBufferOffsetAlignment != 0)
            throw Error(ErrorKind::Internal, desc.shader + ": offset " + std::to_string(b.offset) + " into " +
                                                 b.buffer->name() + " is not a multiple of " +
                                                 std::to_string(physical.minStorageBufferOffsetAlignment));
        if (size > physical.maxStorageBufferRange)
            throw Error(ErrorKind::OutOfMemory, "The " + formatBytes(size) + " of " + b.buffer->name() +
                                                    " are more than " + physical.name + " lets one shader read at once (" +
                                                    formatBytes(physical.maxStorageBufferRange) + ").");
        infos.push_back({b.buffer->handle(), b.offset, size});
        (b.written ? written : read).push_back(b.buffer->handle());
    }

    const VkDescriptorSet set = allocateSet(pipeline.setLayout());
    std::vector<VkWriteDescriptorSet> writes(infos.size());
    for (uint32_t i = 0; i < infos.size(); ++i) {
        writes[i] = {};
        writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[i].dstSet = set;
        writes[i].dstBinding = i;
        writes[i].descriptorCount = 1;
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
    }
    vkUpdateDescriptorSets(context_.device(), static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);

    access(read, written);
    VkCommandBuffer cb = commandBuffer();
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set, 0, nullptr);
    if (!push.empty())
        vkCmdPushConstants(cb, pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, static_cast<uint32_t>(push.size()),
                           push.data());
    vkCmdDispatch(cb, groups.x, groups.y, groups.z);
}

void CommandRecorder::copy(const Buffer& source, VkDeviceSize sourceOffset, const Buffer& destination,
                           VkDeviceSize destinationOffset, VkDeviceSize bytes) {
    if (sourceOffset + bytes > source.size() || destinationOffset + bytes > destination.size())
        throw Error(ErrorKind::Internal, "Copying " + std::to_string(bytes) + " bytes from " + source.name() + " to " +
                                             destination.name() + " runs past the end of one of them");
    const VkBuffer read[] = {source.handle()};
    const VkBuffer written[] = {destination.handle()};
    access(read, written);
    const VkBufferCopy region{sourceOffset, destinationOffset, bytes};
    vkCmdCopyBuffer(commandBuffer(), source.handle(), destination.handle(), 1, &region);
}

void CommandRecorder::fill(const Buffer& buffer, uint32_t value) {
    const VkBuffer written[] = {buffer.handle()};
    access({}, written);
    // VK_WHOLE_SIZE rounds down to whole words.
    vkCmdFillBuffer(commandBuffer(), buffer.handle(), 0, VK_WHOLE_SIZE, value);
}

void CommandRecorder::timestamp(std::string label) {
    auto& pool = recording_->timestampPool_;
    if (!pool) return;
    auto& labels = recording_->timestampLabels_;
    if (labels.size() >= pool->capacity())
        throw Error(ErrorKind::Internal, "More GPU timestamps than the " + std::to_string(pool->capacity()) +
                                             " this recording was made for");
    vkCmdWriteTimestamp(commandBuffer(), VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool->handle(),
                        static_cast<uint32_t>(labels.size()));
    labels.push_back(std::move(label));
}

Recording CommandRecorder::finish() {
    if (!recording_) throw Error(ErrorKind::Internal, "CommandRecorder::finish called twice");
    // The host reads results once the fence says the work is done.
    barrier(kWorkStages, kWorkWrites, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    check(vkEndCommandBuffer(commandBuffer()), "Finishing the recording of GPU commands");
    Recording done = std::move(*recording_);
    recording_.reset();
    return done;
}

VkDescriptorSet CommandRecorder::allocateSet(VkDescriptorSetLayout layout) {
    auto& pools = recording_->descriptorPools_;
    if (!pools.empty())
        if (auto set = pools.back().allocate(layout)) return *set;
    pools.emplace_back(context_.device(), kSetsPerPool, kBuffersPerPool);
    if (auto set = pools.back().allocate(layout)) return *set;
    throw Error(ErrorKind::Internal, "A fresh descriptor pool cannot hold one descriptor set");
}

void CommandRecorder::access(std::span<const VkBuffer> read, std::span<const VkBuffer> written) {
    const bool readAfterWrite = std::any_of(read.begin(), read.end(), [&](VkBuffer b) { return contains(writtenSinceBarrier_, b); });
    const bool afterAny = std::any_of(written.begin(), written.end(), [&](VkBuffer b) {
        return contains(writtenSinceBarrier_, b) || contains(readSinceBarrier_, b);
    });
    if (readAfterWrite || afterAny) {
        barrier(kWorkStages, kWorkWrites, kWorkStages, kWorkAccess);
        readSinceBarrier_.clear();
        writtenSinceBarrier_.clear();
    }
    readSinceBarrier_.insert(readSinceBarrier_.end(), read.begin(), read.end());
    writtenSinceBarrier_.insert(writtenSinceBarrier_.end(), written.begin(), written.end());
}

void CommandRecorder::barrier(VkPipelineStageFlags srcStages, VkAccessFlags srcAccess, VkPipelineStageFlags dstStages,
                              VkAccessFlags dstAccess) {
    VkMemoryBarrier memory{};
    memory.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    memory.srcAccessMask = srcAccess;
    memory.dstAccessMask = dstAccess;
    vkCmdPipelineBarrier(commandBuffer(), srcStages, dstStages, 0, 1, &memory, 0, nullptr, 0, nullptr);
}

}  // namespace nibble::vulkan
