// Q2_K super-blocks: 256 weights in 84 bytes (engine/tensor/block_formats.h).
//   0   u8   scales[16]  sub-block s = j / 16: scale = nibble lo, min = nibble hi
//   16  u8   qs[64]      weights 128*h + 32*k + l (h < 2, k < 4, l < 32) are
//                        bits 2k..2k+1 of qs[32*h + l]
//   80  half d
//   82  half dmin
//   w[j] = (d * scale) * q - (dmin * min)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q2_K_GLSL
#define NIBBLE_Q2_K_GLSL

const uint Q2_K_BLOCK_WEIGHTS = 256u;
const uint Q2_K_BLOCK_BYTES = 84u;

// Weights 32*part .. 32*part + 31 (part < 8: two sub-blocks of 16) of the
// super-block that starts at byte `block`, in order.
void dequant_q2_k(uint block, uint part, out float v[32]) {
    const float d = readHalf(block + 80u);
    const float dmin = readHalf(block + 82u);
    const uint first = readU8(block + 2u * part);
    const uint second = readU8(block + 2u * part + 1u);
    const float scaleLow = d * float(first & 15u);
    const float minLow = dmin * float(first >> 4);
    const float scaleHigh = d * float(second & 15u);
    const float minHigh = dmin * float(second >> 4);
    const uint qs = block + 16u + 32u * (part >> 2);
    const uint shift = 2u * (part & 3u);
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        const uint q = readU32(qs + 4u * i) >> shift;
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const float value = float((q >> (8u * t)) & 3u);
            v[4u * i + t] = i < 4u ? scaleLow * value - minLow : scaleHigh * value - minHigh;
        }
    }
}

// Units of decode_unit.glsl: 32 weights each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_q2_k((row) + ((unit) >> 3) * Q2_K_BLOCK_BYTES, (unit) & 7u, v)

#endif
