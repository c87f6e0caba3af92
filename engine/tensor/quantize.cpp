#include "tensor/quantize.h"

#include "nibble/error.h"
#include "tensor/half.h"
#include "tensor/quantize_formats.h"

#include <cstring>
#include <string>

namespace nibble {
namespace {

template <uint16_t (*fromFloat)(float)>
void convertRow(const float* src, uint8_t* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t bits = fromFloat(src[i]);
        std::memcpy(dst + 2 * i, &bits, 2);
    }
}

}  // namespace

bool canQuantize(GgmlType type) {
    const auto traits = typeTraits(type);
    return traits && traits->quantize;
}

size_t quantizedRowBytes(GgmlType type, int64_t n) {
    const auto traits = typeTraits(type);
    if (!traits)
        throw Error(ErrorKind::InvalidArgument,
                    "tensor type number " + std::to_string(static_cast<uint32_t>(type)) + " does not exist");
    if (n < 0 || n % traits->blockSize != 0)
        throw Error(ErrorKind::InvalidArgument,
                    "a row of " + std::to_string(n) + " " + std::string(traits->name) +
                        " weights is not a whole number of blocks of " + std::to_string(traits->blockSize));
    return size_t(n / traits->blockSize) * traits->blockBytes;
}

size_t quantizeRow(GgmlType type, const float* src, uint8_t* dst, int64_t n, const float* importance) {
    if (!canQuantize(type))
        throw Error(ErrorKind::Unsupported,
                    "cannot quantize: tensor type " + std::string(typeName(type)) + " is not supported");
    const size_t bytes = quantizedRowBytes(type, n);
    switch (type) {
    case GgmlType::F32: std::memcpy(dst, src, bytes); break;
    case GgmlType::F16: convertRow<floatToHalf>(src, dst, n); break;
    case GgmlType::BF16: convertRow<floatToBf16>(src, dst, n); break;
    case GgmlType::Q4_0: quant::quantizeQ4_0(src, dst, n, importance); break;
    case GgmlType::Q4_1: quant::quantizeQ4_1(src, dst, n, importance); break;
    case GgmlType::Q5_0: quant::quantizeQ5_0(src, dst, n, importance); break;
    case GgmlType::Q5_1: quant::quantizeQ5_1(src, dst, n, importance); break;
    case GgmlType::Q8_0: quant::quantizeQ8_0(src, dst, n); break;
    case GgmlType::Q4_K: quant::quantizeQ4_K(src, dst, n, importance); break;
    case GgmlType::Q5_K: quant::quantizeQ5_K(src, dst, n, importance); break;
    case GgmlType::Q6_K: quant::quantizeQ6_K(src, dst, n, importance); break;
    case GgmlType::IQ4_NL: quant::quantizeIQ4_NL(src, dst, n, importance); break;
    case GgmlType::IQ4_XS: quant::quantizeIQ4_XS(src, dst, n, importance); break;
    default:
        throw Error(ErrorKind::Internal, "the type table marks " + std::string(typeName(type)) +
                                             " quantizable, but no quantizer writes it");
    }
    return bytes;
}

}  // namespace nibble
