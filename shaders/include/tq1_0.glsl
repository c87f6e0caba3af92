// TQ1_0 super-blocks: 256 ternary weights in 54 bytes (engine/tensor/block_formats.h).
// Five weights to a byte in base 3, stored as a fraction of 256: digit n of
// byte b is t = (((b * 3^n) & 255) * 3) >> 8, and w = d * (t - 1).
//   0   u8   qs[48]      weights 32*n + m (n < 5, m < 32): digit n of qs[m];
//                        weights 160 + 16*n + m (n < 5, m < 16): digit n of qs[32 + m]
//   48  u8   qh[4]       weights 240 + 4*n + j (n < 4, j < 4): digit n of qh[j]
//   52  half d
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_TQ1_0_GLSL
#define NIBBLE_TQ1_0_GLSL

const uint TQ1_0_BLOCK_WEIGHTS = 256u;
const uint TQ1_0_BLOCK_BYTES = 54u;

// Weights 32*part .. 32*part + 31 (part < 8) of the super-block that starts
// at byte `block`, in order. A plain loop: fully unrolled over the three
// digit sources, the product tests ran past 10 minutes on lavapipe.
void dequant_tq1_0(uint block, uint part, out float v[32]) {
    const float d = readHalf(block + 52u);
    for (uint i = 0u; i < 32u; ++i) {
        const uint w = 32u * part + i;
        uint byte, n;
        if (w < 160u) {
            byte = w & 31u;
            n = w >> 5;
        } else if (w < 240u) {
            byte = 32u + (w & 15u);
            n = (w - 160u) >> 4;
        } else {
            byte = 48u + (w & 3u);
            n = (w - 240u) >> 2;
        }
        const uint pow3 = n == 0u ? 1u : n == 1u ? 3u : n == 2u ? 9u : n == 3u ? 27u : 81u;
        v[i] = d * (float((((readU8(block + byte) * pow3) & 255u) * 3u) >> 8) - 1.0);
    }
}

// Units of decode_unit.glsl: 32 weights each, 8 to a super-block.
const bool WHOLE_UNITS = true;
#define DECODE_UNIT(row, unit, K, v) dequant_tq1_0((row) + ((unit) >> 3) * TQ1_0_BLOCK_BYTES, (unit) & 7u, v)

#endif
