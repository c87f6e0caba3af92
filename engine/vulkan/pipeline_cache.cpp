#include "vulkan/pipeline_cache.h"

#include "nibble/error.h"
#include "vulkan/vk_check.h"

namespace nibble::vulkan {

PipelineCache::PipelineCache(VkDevice device) : device_(device) {
    VkPipelineCacheCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
    VkPipelineCache cache = VK_NULL_HANDLE;
    check(vkCreatePipelineCache(device, &info, nullptr, &cache), "Creating the pipeline cache");
    cache_ = PipelineCacheHandle(device, cache);
}

const Pipeline& PipelineCache::get(const PipelineDesc& desc) {
    Key key{desc.shader, desc.specialization};
    auto it = pipelines_.find(key);
    if (it == pipelines_.end())
        it = pipelines_.emplace(std::move(key), std::make_unique<Pipeline>(device_, cache_.get(), desc)).first;
    else if (!(it->second->desc() == desc))
        throw Error(ErrorKind::Internal, "The compute shader " + desc.shader +
                                             " was asked for with two different layouts (bindings or push constants)");
    return *it->second;
}

}  // namespace nibble::vulkan
