#pragma once
// A compute pipeline built from one embedded SPIR-V module, with its layout:
// `bindings` storage buffers at set 0, bindings 0..n-1, and push constants.
#include "vulkan/device_handle.h"

#include <volk.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nibble::vulkan {

struct PipelineDesc {
    std::string shader;                    // the name given to nibble_shader()
    uint32_t bindings = 0;                 // storage buffers the shader declares
    uint32_t pushConstantBytes = 0;        // size of its push_constant block
    // Values of constant_id 0, 1, ... as 32-bit words (std::bit_cast floats).
    // Constant 0 is the workgroup size in every Nibble shader.
    std::vector<uint32_t> specialization;

    bool operator==(const PipelineDesc&) const = default;
};

class Pipeline {
public:
    // Throws Error(Internal) when no shader has that name.
    Pipeline(VkDevice device, VkPipelineCache cache, PipelineDesc desc);

    const PipelineDesc& desc() const { return desc_; }
    VkPipeline handle() const { return pipeline_.get(); }
    VkPipelineLayout layout() const { return layout_.get(); }
    VkDescriptorSetLayout setLayout() const { return setLayout_.get(); }

private:
    PipelineDesc desc_;
    DescriptorSetLayoutHandle setLayout_;
    PipelineLayoutHandle layout_;
    PipelineHandle pipeline_;
};

}  // namespace nibble::vulkan
