// Q3_K super-blocks: 256 weights in 110 bytes (engine/tensor/block_formats.h).
//   0   u8   hmask[32]   high bit: weight 32*k + l (k < 8, l < 32) is bit k of hmask[l]
//   32  u8   qs[64]      low 2 bits, placed as Q2_K's qs
//   96  u8   scales[12]  16 signed 6-bit scales (sub-block s = j / 16), stored +32:
//                          low 4 bits: s < 8: nibble lo of scales[s], s >= 8: nibble hi of scales[s-8]
//                          high 2 bits: bits 2*(s/4)..+1 of scales[8 + s%4]
//   108 half d
//   w[j] = (d * (scale6 - 32)) * (low2 - (high bit set ? 0 : 4))
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q3_K_GLSL
#define NIBBLE_Q3_K_GLSL

const uint Q3_K_BLOCK_WEIGHTS = 256u;
const uint Q3_K_BLOCK_BYTES = 110u;

// The signed scale of sub-block s (< 16) from the 12 bytes at `scales`.
int q3_k_scale(uint scales, uint s) {
    const uint low = s < 8u ? readU8(scales + s) & 15u : readU8(scales + s - 8u) >> 4;
    const uint high = (readU8(scales + 8u + (s & 3u)) >> (2u * (s >> 2))) & 3u;
    return int(low | (high << 4)) - 32;
}

// Weights 32*part .. 32*part + 31 (part < 8: two sub-blocks of 16) of the
// super-block that starts at byte `block`, in order.
void dequant_q3_k(uint block, uint part, out float v[32]) {
    const float d = readHalf(block + 108u);
    const float scaleLow = d * float(q3_k_scale(block + 96u, 2u * part));
    const float scaleHigh = d * float(q3_k_scale(block + 96u, 2u * part + 1u));
    const uint qs = block + 32u + 32u * (part >> 2);
    const uint shift = 2u * (part & 3u);
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        const uint q = readU32(qs + 4u * i) >> shift;
        const uint h = readU32(block + 4u * i) >> part;
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const int value = int((q >> (8u * t)) & 3u) - (((h >> (8u * t)) & 1u) != 0u ? 0 : 4);
            v[4u * i + t] = (i < 4u ? scaleLow : scaleHigh) * float(value);
        }
    }
}

// Units of decode_unit.glsl: 32 weights each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_q3_k((row) + ((unit) >> 3) * Q3_K_BLOCK_BYTES, (unit) & 7u, v)

#endif
