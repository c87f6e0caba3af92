#pragma once
// Random rows in a weight type's own block format, for tests of code that
// reads blocks (dequantization, CPU and GPU products), including the types we
// have no quantizer for: random bytes, except the float16 scales, which get
// finite values around 0.01 (random bytes there could be NaN or huge).
#include "tensor/block_formats.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace nibble::test {

// Offsets of the fp16 scale fields of each block type.
inline const std::map<GgmlType, std::vector<size_t>>& halfFields() {
    using namespace nibble::blocks;
    static const std::map<GgmlType, std::vector<size_t>> fields{
        {GgmlType::Q4_0, {offsetof(BlockQ4_0, d)}},
        {GgmlType::Q4_1, {offsetof(BlockQ4_1, d), offsetof(BlockQ4_1, m)}},
        {GgmlType::Q5_0, {offsetof(BlockQ5_0, d)}},
        {GgmlType::Q5_1, {offsetof(BlockQ5_1, d), offsetof(BlockQ5_1, m)}},
        {GgmlType::Q8_0, {offsetof(BlockQ8_0, d)}},
        {GgmlType::Q2_K, {offsetof(BlockQ2_K, d), offsetof(BlockQ2_K, dmin)}},
        {GgmlType::Q3_K, {offsetof(BlockQ3_K, d)}},
        {GgmlType::Q4_K, {offsetof(BlockQ4_K, d), offsetof(BlockQ4_K, dmin)}},
        {GgmlType::Q5_K, {offsetof(BlockQ5_K, d), offsetof(BlockQ5_K, dmin)}},
        {GgmlType::Q6_K, {offsetof(BlockQ6_K, d)}},
        {GgmlType::IQ4_NL, {offsetof(BlockIQ4_NL, d)}},
        {GgmlType::IQ4_XS, {offsetof(BlockIQ4_XS, d)}},
        {GgmlType::TQ1_0, {offsetof(BlockTQ1_0, d)}},
        {GgmlType::TQ2_0, {offsetof(BlockTQ2_0, d)}},
        {GgmlType::IQ3_XXS, {offsetof(BlockIQ3_XXS, d)}},
        {GgmlType::IQ2_XXS, {offsetof(BlockIQ2_XXS, d)}},
        {GgmlType::IQ3_S, {offsetof(BlockIQ3_S, d)}},
        {GgmlType::IQ2_XS, {offsetof(BlockIQ2_XS, d)}},
        {GgmlType::IQ2_S, {offsetof(BlockIQ2_S, d)}},
        {GgmlType::IQ1_S, {offsetof(BlockIQ1_S, d)}},
        {GgmlType::IQ1_M, {offsetof(BlockIQ1_M, scales)}},  // see storeHalf
    };
    return fields;
}

// Stores the fp16 `bits` in the scale field at `at`: two bytes, except for
// IQ1_M, whose one scale is the top nibbles of its four u16 scale words.
inline void storeHalf(GgmlType type, uint8_t* at, uint16_t bits) {
    if (type != GgmlType::IQ1_M) {
        std::memcpy(at, &bits, 2);
        return;
    }
    for (int k = 0; k < 4; ++k) {
        uint16_t word;
        std::memcpy(&word, at + 2 * k, 2);
        word = uint16_t((word & 0x0fff) | (((bits >> (4 * k)) & 15) << 12));
        std::memcpy(at + 2 * k, &word, 2);
    }
}

// A random row of n weights (whole blocks) of the type.
inline std::vector<uint8_t> randomRow(GgmlType type, int64_t n, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.f, 1.f);
    const TypeTraits traits = *typeTraits(type);
    std::vector<uint8_t> row(size_t(n / traits.blockSize) * traits.blockBytes);
    if (type == GgmlType::F32) {
        for (int64_t i = 0; i < n; ++i) {
            const float v = normal(rng);
            std::memcpy(row.data() + 4 * i, &v, 4);
        }
        return row;
    }
    if (type == GgmlType::F16 || type == GgmlType::BF16) {
        for (int64_t i = 0; i < n; ++i) {
            const float v = normal(rng);
            const uint16_t bits = type == GgmlType::F16 ? floatToHalf(v) : floatToBf16(v);
            std::memcpy(row.data() + 2 * i, &bits, 2);
        }
        return row;
    }
    std::uniform_int_distribution<int> byte(0, 255);
    for (auto& b : row) b = uint8_t(byte(rng));
    if (type == GgmlType::MXFP4) {
        // The scale is a power of two, 2^(e - 128): around 0.01 too.
        std::uniform_int_distribution<int> exponent(118, 124);
        for (size_t block = 0; block < row.size() / traits.blockBytes; ++block)
            row[block * traits.blockBytes] = uint8_t(exponent(rng));
        return row;
    }
    for (size_t block = 0; block < row.size() / traits.blockBytes; ++block) {
        for (size_t offset : halfFields().at(type)) {
            storeHalf(type, row.data() + block * traits.blockBytes + offset, floatToHalf(0.01f * normal(rng)));
        }
    }
    return row;
}

}  // namespace nibble::test
