#include "tensor/dequantize.h"

#include "nibble/error.h"
#include "tensor/block_decode.h"
#include "tensor/half.h"
#include "tensor/row_blocks.h"

#include <cstring>
#include <string>

namespace nibble {
namespace blocks {

void checkRow(GgmlType type, int64_t n, const char* operation) {
    const auto traits = typeTraits(type);
    if (!traits || !traits->cpu) {
        const std::string name = traits ? std::string(traits->name)
                                        : "number " + std::to_string(static_cast<uint32_t>(type));
        throw Error(ErrorKind::Unsupported,
                    std::string("cannot ") + operation + ": tensor type " + name + " is not supported");
    }
    if (n < 0 || n % traits->blockSize != 0)
        throw Error(ErrorKind::InvalidArgument,
                    std::string("cannot ") + operation + " a row of " + std::to_string(n) + " " +
                        std::string(traits->name) + " weights: the type stores whole blocks of " +
                        std::to_string(traits->blockSize));
}

}  // namespace blocks

void dequantizeRow(GgmlType type, const uint8_t* src, float* dst, int64_t n) {
    blocks::checkRow(type, n, "dequantize");
    switch (type) {
    case GgmlType::F32:
        std::memcpy(dst, src, size_t(n) * sizeof(float));
        return;
    case GgmlType::F16:
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            dst[i] = halfToFloat(h);
        }
        return;
    case GgmlType::BF16:
        for (int64_t i = 0; i < n; ++i) {
            uint16_t b;
            std::memcpy(&b, src + 2 * i, 2);
            dst[i] = bf16ToFloat(b);
        }
        return;
    default:
        break;
    }
    blocks::withBlockType(type, [&](auto tag) {
        using Block = decltype(tag);
        const int64_t count = n / Block::kWeights;
        for (int64_t i = 0; i < count; ++i)
            blocks::decode(blocks::loadBlock<Block>(src, i), dst + i * Block::kWeights);
    });
}

}  // namespace nibble
