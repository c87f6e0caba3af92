#include "quant/block_grid.h"

#include "nibble/error.h"
#include "tensor/block_decode.h"
#include "tensor/block_formats.h"
#include "tensor/half.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace nibble::quant {
namespace {

using namespace blocks;

float halfAt(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
}

// The 4-bit codes of a 32-weight group stored as Q4_0's qs: weight j in the
// low nibble of qs[j], weight j + 16 in the high nibble of qs[j].
void setNibble32(uint8_t* qs, int j, int code) {
    uint8_t& b = qs[j % 16];
    b = j < 16 ? uint8_t((b & 0xf0) | code) : uint8_t((b & 0x0f) | (code << 4));
}

void setBit(uint8_t* bytes, int bit, bool on) {
    if (on) bytes[bit / 8] |= uint8_t(1u << (bit % 8));
    else bytes[bit / 8] &= uint8_t(~(1u << (bit % 8)));
}

// Q4_K / Q5_K: weight j of the super-block sits in byte 32*(j/64) + j%32 of
// qs, low nibble for the first 32 of each 64, high nibble for the second.
void setNibbleK(uint8_t* qs, int j, int code) {
    uint8_t& b = qs[32 * (j / 64) + j % 32];
    b = (j % 64) < 32 ? uint8_t((b & 0xf0) | code) : uint8_t((b & 0x0f) | (code << 4));
}

ElementGrid kGrid(const uint8_t* block, int j, int hi) {
    uint8_t sc, mn;
    kScaleMin(j / 32, block + 4, sc, mn);
    return {halfAt(block) * float(sc), -(halfAt(block + 2) * float(mn)), 0, hi, false};
}

[[noreturn]] void unsupported(GgmlType type) {
    throw Error(ErrorKind::Unsupported,
                "error-compensating quantization cannot write " + std::string(typeName(type)) + " yet");
}

}  // namespace

int ElementGrid::nearest(float x) const {
    if (scale == 0) return table ? 8 : std::clamp(0, lo, hi);
    if (!table) return std::clamp(int(std::lround((x - offset) / scale)), lo, hi);
    int best = 0;
    float bestError = INFINITY;
    for (int l = 0; l < 16; ++l) {
        const float e = std::abs(x - value(l));
        if (e < bestError) bestError = e, best = l;
    }
    return best;
}

float ElementGrid::value(int level) const {
    return table ? scale * float(kIq4nlValues[level]) : scale * float(level) + offset;
}

bool hasElementGrid(GgmlType type) {
    switch (type) {
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1: case GgmlType::Q8_0:
    case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K: case GgmlType::IQ4_NL: case GgmlType::IQ4_XS:
        return true;
    default: return false;
    }
}

ElementGrid elementGrid(GgmlType type, const uint8_t* b, int j) {
    switch (type) {
    case GgmlType::Q4_0: return {halfAt(b), 0, -8, 7, false};
    case GgmlType::Q4_1: return {halfAt(b), halfAt(b + 2), 0, 15, false};
    case GgmlType::Q5_0: return {halfAt(b), 0, -16, 15, false};
    case GgmlType::Q5_1: return {halfAt(b), halfAt(b + 2), 0, 31, false};
    case GgmlType::Q8_0: return {halfAt(b), 0, -128, 127, false};
    case GgmlType::Q4_K: return kGrid(b, j, 15);
    case GgmlType::Q5_K: return kGrid(b, j, 31);
    case GgmlType::Q6_K: {
        const auto scales = reinterpret_cast<const int8_t*>(b + 192);
        return {halfAt(b + 208) * float(scales[j / 16]), 0, -32, 31, false};
    }
    case GgmlType::IQ4_NL: return {halfAt(b), 0, 0, 15, true};
    case GgmlType::IQ4_XS: {
        BlockIQ4_XS block;
        std::memcpy(&block, b, sizeof block);
        return {halfToFloat(block.d) * float(iq4xsScale(block, j / 32) - 32), 0, 0, 15, true};
    }
    default: unsupported(type);
    }
}

void setElementLevel(GgmlType type, uint8_t* b, int j, int level) {
    switch (type) {
    case GgmlType::Q4_0: setNibble32(b + 2, j, level + 8); break;
    case GgmlType::Q4_1: setNibble32(b + 4, j, level); break;
    case GgmlType::Q5_0:
        setNibble32(b + 6, j, (level + 16) & 15);
        setBit(b + 2, j, (level + 16) & 16);
        break;
    case GgmlType::Q5_1:
        setNibble32(b + 8, j, level & 15);
        setBit(b + 4, j, level & 16);
        break;
    case GgmlType::Q8_0: b[2 + j] = uint8_t(int8_t(level)); break;
    case GgmlType::Q4_K: setNibbleK(b + 16, j, level); break;
    case GgmlType::Q5_K:
        setNibbleK(b + 48, j, level & 15);
        setBit(b + 16 + j % 32, j / 32, level & 16);
        break;
    case GgmlType::Q6_K: {
        // Weight 128*h + 32*k + l: low nibble in ql[64h + 32*(k%2) + l] (k < 2 low half, else high
        // half of the byte), high 2 bits at bits 2k of qh[32h + l].
        const int code = level + 32, h = j / 128, k = (j % 128) / 32, l = j % 32;
        uint8_t& low = b[64 * h + 32 * (k % 2) + l];
        low = k < 2 ? uint8_t((low & 0xf0) | (code & 15)) : uint8_t((low & 0x0f) | ((code & 15) << 4));
        uint8_t& high = b[128 + 32 * h + l];
        high = uint8_t((high & ~(3 << (2 * k))) | ((code >> 4) << (2 * k)));
        break;
    }
    case GgmlType::IQ4_NL: setNibble32(b + 2, j, level); break;
    case GgmlType::IQ4_XS: setNibble32(b + 8 + 16 * (j / 32), j % 32, level); break;
    default: unsupported(type);
    }
}

}  // namespace nibble::quant
