#pragma once
// Records compute work into a Recording that ComputeContext::submit runs, once
// or once per token. The recorder inserts a pipeline barrier before any
// command that touches a buffer an earlier command of the recording wrote, or
// writes a buffer an earlier one read, so dependent dispatches are ordered
// without the caller thinking about barriers:
//
//   CommandRecorder rec(context);
//   rec.dispatch(norm, {reads(x), reads(w), writes(y)}, {rows}, NormParams{cols, eps});
//   rec.dispatch(add, {reads(y), reads(r), writes(x)}, groups, AddParams{n});  // barrier before
//   context.submit(rec.finish());
//
// Push constants are baked into the recording: values that change between
// replays (the token position, say) belong in a buffer the host updates.
#include "vulkan/buffer.h"
#include "vulkan/command_buffer.h"
#include "vulkan/descriptor_pool.h"
#include "vulkan/timestamp_query_pool.h"

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace nibble::vulkan {

class ComputeContext;
class Pipeline;

struct BufferBinding {
    const Buffer* buffer = nullptr;
    VkDeviceSize offset = 0;
    VkDeviceSize size = VK_WHOLE_SIZE;  // to the end of the buffer
    bool written = false;
};

inline BufferBinding reads(const Buffer& buffer, VkDeviceSize offset = 0, VkDeviceSize size = VK_WHOLE_SIZE) {
    return {&buffer, offset, size, false};
}
inline BufferBinding writes(const Buffer& buffer, VkDeviceSize offset = 0, VkDeviceSize size = VK_WHOLE_SIZE) {
    return {&buffer, offset, size, true};
}

struct WorkGroups {
    uint32_t x = 1;
    uint32_t y = 1;
    uint32_t z = 1;
};

// Workgroups needed for `items` items at `perGroup` items each.
inline uint32_t groupsFor(uint64_t items, uint32_t perGroup) {
    return static_cast<uint32_t>((items + perGroup - 1) / perGroup);
}

// Finished commands with everything they refer to (descriptor sets, timestamp
// queries). The buffers they use must outlive it.
class Recording {
public:
    // Label and nanoseconds since the first timestamp of the last submission;
    // empty before the first submission, when the recording has none, or when
    // the device cannot time compute work.
    std::vector<std::pair<std::string, double>> timestamps() const;

private:
    friend class CommandRecorder;
    friend class ComputeContext;
    explicit Recording(CommandBuffer commands) : commands_(std::move(commands)) {}

    CommandBuffer commands_;
    std::vector<DescriptorPool> descriptorPools_;
    std::optional<TimestampQueryPool> timestampPool_;
    std::vector<std::string> timestampLabels_;
    // Timestamps exist only once the recording has run.
    mutable bool submitted_ = false;
};

class CommandRecorder {
public:
    // maxTimestamps: how many timestamp() calls this recording may make.
    explicit CommandRecorder(ComputeContext& context, uint32_t maxTimestamps = 0);

    // Bindings go to binding 0, 1, ... in order. Throws Error(OutOfMemory)
    // when a binding is larger than the device lets a shader see at once, and
    // Error(Internal) for a call that does not match the pipeline (a bug).
    template <typename Push>
    void dispatch(const Pipeline& pipeline, std::initializer_list<BufferBinding> bindings, WorkGroups groups,
                  const Push& push) {
        static_assert(std::is_trivially_copyable_v<Push>, "push constants are copied as bytes");
        record(pipeline, bindings, groups, std::as_bytes(std::span(&push, 1)));
    }
    void dispatch(const Pipeline& pipeline, std::initializer_list<BufferBinding> bindings, WorkGroups groups) {
        record(pipeline, bindings, groups, {});
    }
    void copy(const Buffer& source, VkDeviceSize sourceOffset, const Buffer& destination,
              VkDeviceSize destinationOffset, VkDeviceSize bytes);
    // Sets every 32-bit word of the buffer to value.
    void fill(const Buffer& buffer, uint32_t value);
    // The GPU time when every earlier command has finished.
    void timestamp(std::string label);

    // Ends the commands; the recorder is empty afterwards.
    Recording finish();

    // The command buffer being recorded, for commands this class does not wrap yet.
    VkCommandBuffer commandBuffer() const { return recording_->commands_.handle(); }

private:
    void record(const Pipeline& pipeline, std::initializer_list<BufferBinding> bindings, WorkGroups groups,
                std::span<const std::byte> push);
    VkDescriptorSet allocateSet(VkDescriptorSetLayout layout);
    // Records a barrier when this access depends on an earlier one.
    void access(std::span<const VkBuffer> read, std::span<const VkBuffer> written);
    void barrier(VkPipelineStageFlags srcStages, VkAccessFlags srcAccess, VkPipelineStageFlags dstStages,
                 VkAccessFlags dstAccess);

    ComputeContext& context_;
    std::optional<Recording> recording_;
    std::vector<VkBuffer> readSinceBarrier_;
    std::vector<VkBuffer> writtenSinceBarrier_;
};

}  // namespace nibble::vulkan
