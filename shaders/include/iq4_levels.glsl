// The 16 signed levels IQ4_NL and IQ4_XS index with their 4-bit values
// (kIq4nlValues in engine/tensor/block_formats.h).
#ifndef NIBBLE_IQ4_LEVELS_GLSL
#define NIBBLE_IQ4_LEVELS_GLSL

const float IQ4_LEVELS[16] = float[16](-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0,
                                       1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);

// The 32 weights d * level of the 16 bytes at `qs` (IQ4_NL's qs layout:
// weight j is nibble lo of byte j, weight j + 16 nibble hi, j < 16).
void iq4_group(uint qs, float d, out float v[32]) {
    [[unroll]] for (uint i = 0u; i < 4u; ++i) {
        const uint q = readU32(qs + 4u * i);
        [[unroll]] for (uint t = 0u; t < 4u; ++t) {
            v[4u * i + t] = d * IQ4_LEVELS[(q >> (8u * t)) & 15u];
            v[4u * i + t + 16u] = d * IQ4_LEVELS[(q >> (8u * t + 4u)) & 15u];
        }
    }
}

#endif
