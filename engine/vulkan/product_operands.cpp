#include "vulkan/product_operands.h"

#include "nibble/error.h"

#include <algorithm>
#include <string>

namespace nibble::vulkan {

uint32_t checkedRowBytes(std::string_view kernel, bool supported, GgmlType type, uint32_t K, VkDeviceSize wOffset,
                         VkDeviceSize xOffset, VkDeviceSize yOffset) {
    if (!supported)
        throw Error(ErrorKind::Unsupported, "The GPU cannot multiply " + std::string(typeName(type)) + " weights yet");
    const TypeTraits traits = *typeTraits(type);
    if (K % traits.blockSize != 0)
        throw Error(ErrorKind::InvalidArgument, "A row of " + std::to_string(K) + " " + std::string(traits.name) +
                                                    " weights is not a whole number of blocks of " +
                                                    std::to_string(traits.blockSize));
    if (xOffset % 4 != 0 || yOffset % 4 != 0 || wOffset % 2 != 0)
        throw Error(ErrorKind::Internal,
                    std::string(kernel) + ": x and y offsets must be whole floats, the weights' offset even");
    return K / traits.blockSize * traits.blockBytes;
}

BufferWindow bufferWindow(const PhysicalDevice& physical, const Buffer& buffer, VkDeviceSize offset,
                          VkDeviceSize bytes, std::string_view kernel, std::string_view what) {
    if (offset > buffer.size() || bytes > buffer.size() - offset)
        throw Error(ErrorKind::Internal, std::string(kernel) + ": " + std::string(what) + " needs " +
                                             std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                                             " of " + buffer.name() + ", which holds " + std::to_string(buffer.size()));
    const VkDeviceSize alignment = std::max<VkDeviceSize>(physical.minStorageBufferOffsetAlignment, 4);
    const VkDeviceSize start = offset / alignment * alignment;
    const VkDeviceSize base = offset - start;
    // Whole words: the shaders read 32-bit words.
    const VkDeviceSize size = std::min((base + bytes + 3) / 4 * 4, buffer.size() - start);
    if (base + bytes > UINT32_MAX)
        throw Error(ErrorKind::OutOfMemory, std::string(kernel) + ": the " + formatBytes(bytes) + " of " +
                                                std::string(what) + " are more than one kernel can address (4 GiB)");
    return {start, size, static_cast<uint32_t>(base)};
}

}  // namespace nibble::vulkan
