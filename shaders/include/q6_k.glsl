// Q6_K super-blocks: 256 weights in 210 bytes (engine/tensor/block_formats.h).
//   0   u8   ql[128]     low 4 bits: for half h < 2, k < 4 and l < 32, weight 128*h + 32*k + l
//                        is nibble lo (k < 2) / hi (k >= 2) of ql[64*h + 32*(k & 1) + l]
//   128 u8   qh[64]      its high 2 bits are bits 2k..2k+1 of qh[32*h + l]
//   192 i8   scales[16]  sub-block s = j / 16
//   208 half d
//   w[j] = (d * scales[s]) * (q6 - 32)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_Q6_K_GLSL
#define NIBBLE_Q6_K_GLSL

const uint Q6_K_BLOCK_WEIGHTS = 256u;
const uint Q6_K_BLOCK_BYTES = 210u;

// Weights 32*part .. 32*part + 31 (part < 8) of the super-block that starts
// at byte `block`, in order.
void dequant_q6_k(uint block, uint part, out float v[32]) {
    const uint h = part >> 2;
    const uint k = part & 3u;
    const float d = readHalf(block + 208u);
    const float scaleLow = d * float(readI8(block + 192u + 8u * h + 2u * k));
    const float scaleHigh = d * float(readI8(block + 193u + 8u * h + 2u * k));
    const uint ql = block + 64u * h + 32u * (k & 1u);
    const uint qh = block + 128u + 32u * h;
    const uint lowShift = 4u * (k >> 1);
    const uint highShift = 2u * k;
    [[unroll]] for (uint i = 0u; i < 8u; ++i) {
        const uint lo = readU32(ql + 4u * i) >> lowShift;
        const uint hi = readU32(qh + 4u * i) >> highShift;
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            const int q = int(((lo >> (8u * t)) & 15u) | (((hi >> (8u * t)) & 3u) << 4)) - 32;
            v[4u * i + t] = (i < 4u ? scaleLow : scaleHigh) * float(q);
        }
    }
}

// Units of decode_unit.glsl: one sub-block of 32 each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_q6_k((row) + ((unit) >> 3) * Q6_K_BLOCK_BYTES, (unit) & 7u, v)

#endif
