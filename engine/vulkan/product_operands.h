#pragma once
// The operands of the weight x activation products (mat_vec.h, mat_mat.h):
// the checks they share and the windows they bind.
//
// A window is the part of a buffer one dispatch reads or writes, bound from
// an offset rounded down to the device's storage-buffer alignment; the shader
// finds its data `base` bytes into the binding (a push constant). So the
// kernels take any offset, not only aligned ones.
#include "tensor/ggml_type.h"
#include "vulkan/buffer.h"
#include "vulkan/physical_device.h"

#include <cstdint>
#include <string_view>

namespace nibble::vulkan {

// The bytes per row of K weights of `type`, once the operands pass the checks
// every product makes: Error(Unsupported) when !supported, Error(InvalidArgument)
// for a K that is not a whole number of blocks, Error(Internal) for x or y
// offsets that are not whole floats or an odd weight offset. kernel names the
// product in messages.
uint32_t checkedRowBytes(std::string_view kernel, bool supported, GgmlType type, uint32_t K, VkDeviceSize wOffset,
                         VkDeviceSize xOffset, VkDeviceSize yOffset);

// The push constants of mul_mm.comp (mul_mat_vec.comp's are laid out alike,
// with the columns of one pass for batch).
struct ProductParams {
    uint32_t K;         // weights per row
    uint32_t N;         // rows
    uint32_t rowBytes;  // bytes per row of W
    uint32_t wBase;     // byte of W's first row in its binding
    uint32_t xBase;     // float of x[0][0] in its binding
    uint32_t yBase;     // float of y[0][0] in its binding
    uint32_t batch;     // columns of x and y
};

struct BufferWindow {
    VkDeviceSize start;  // aligned binding offset
    VkDeviceSize size;   // binding size, whole 32-bit words where the buffer has them
    uint32_t base;       // bytes from start to the data
};

// The window over `bytes` bytes at `offset` of `buffer`; `what` names the
// operand in errors: Error(Internal) for a range past the end of the buffer,
// Error(OutOfMemory) for one a shader cannot address with 32-bit offsets.
BufferWindow bufferWindow(const PhysicalDevice& physical, const Buffer& buffer, VkDeviceSize offset,
                          VkDeviceSize bytes, std::string_view kernel, std::string_view what);

}  // namespace nibble::vulkan
