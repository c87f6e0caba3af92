#pragma once
// Every pipeline made so far, keyed by shader name and specialization
// constants, over one VkPipelineCache. Pipelines live as long as the cache,
// so references to them stay valid.
#include "vulkan/device_handle.h"
#include "vulkan/pipeline.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nibble::vulkan {

class PipelineCache {
public:
    explicit PipelineCache(VkDevice device);

    // Makes the pipeline on first use. Throws Error(Internal) when the same
    // shader and constants were asked for with another layout (a bug).
    const Pipeline& get(const PipelineDesc& desc);
    size_t size() const { return pipelines_.size(); }

private:
    using Key = std::pair<std::string, std::vector<uint32_t>>;
    VkDevice device_;
    PipelineCacheHandle cache_;
    std::map<Key, std::unique_ptr<Pipeline>> pipelines_;
};

}  // namespace nibble::vulkan
