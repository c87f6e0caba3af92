#include "vulkan/pipeline.h"

#include "embedded_shaders.h"
#include "nibble/error.h"
#include "vulkan/vk_check.h"

namespace nibble::vulkan {

Pipeline::Pipeline(VkDevice device, VkPipelineCache cache, PipelineDesc desc) : desc_(std::move(desc)) {
    const std::span<const uint32_t> code = shaders::find(desc_.shader);
    if (code.empty()) throw Error(ErrorKind::Internal, "There is no compute shader named " + desc_.shader);
    const std::string what = "the compute pipeline for " + desc_.shader;

    std::vector<VkDescriptorSetLayoutBinding> bindings(desc_.bindings);
    for (uint32_t i = 0; i < desc_.bindings; ++i) {
        bindings[i].binding = i;
        bindings[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[i].descriptorCount = 1;
        bindings[i].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo setInfo{};
    setInfo.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
    setInfo.bindingCount = desc_.bindings;
    setInfo.pBindings = bindings.data();
    VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
    check(vkCreateDescriptorSetLayout(device, &setInfo, nullptr, &setLayout), "Creating the descriptor layout of " + what);
    setLayout_ = DescriptorSetLayoutHandle(device, setLayout);

    const VkPushConstantRange push{VK_SHADER_STAGE_COMPUTE_BIT, 0, desc_.pushConstantBytes};
    VkPipelineLayoutCreateInfo layoutInfo{};
    layoutInfo.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
    layoutInfo.setLayoutCount = 1;
    layoutInfo.pSetLayouts = &setLayout;
    layoutInfo.pushConstantRangeCount = desc_.pushConstantBytes ? 1 : 0;
    layoutInfo.pPushConstantRanges = &push;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    check(vkCreatePipelineLayout(device, &layoutInfo, nullptr, &layout), "Creating the layout of " + what);
    layout_ = PipelineLayoutHandle(device, layout);

    // The module is only needed while the pipeline is created.
    VkShaderModuleCreateInfo moduleInfo{};
    moduleInfo.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
    moduleInfo.codeSize = code.size_bytes();
    moduleInfo.pCode = code.data();
    VkShaderModule module = VK_NULL_HANDLE;
    check(vkCreateShaderModule(device, &moduleInfo, nullptr, &module), "Loading the shader of " + what);
    const ShaderModuleHandle moduleHandle(device, module);

    std::vector<VkSpecializationMapEntry> entries(desc_.specialization.size());
    for (uint32_t i = 0; i < entries.size(); ++i)
        entries[i] = {i, static_cast<uint32_t>(i * sizeof(uint32_t)), sizeof(uint32_t)};
    VkSpecializationInfo specialization{};
    specialization.mapEntryCount = static_cast<uint32_t>(entries.size());
    specialization.pMapEntries = entries.data();
    specialization.dataSize = desc_.specialization.size() * sizeof(uint32_t);
    specialization.pData = desc_.specialization.data();

    VkComputePipelineCreateInfo info{};

    info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO;
    info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = module;
    info.stage.pName = "main";
    info.stage.pSpecializationInfo = entries.empty() ? nullptr : &specialization;
    info.layout = layout;
    VkPipeline pipeline = VK_NULL_HANDLE;
    check(vkCreateComputePipelines(device, cache, 1, &info, nullptr, &pipeline), "Creating " + what);
    pipeline_ = PipelineHandle(device, pipeline);
}

}  // namespace nibble::vulkan
