// What the grid i-quants (iq3_xxs.glsl, ...) share: their grids (iq_grids.glsl,
// generated at build time from gguf-py, see engine/tensor/gen_iq_grids.py) and
// the sign patterns (iqSignBits in engine/tensor/block_formats.h).
#ifndef NIBBLE_IQ_GRID_GLSL
#define NIBBLE_IQ_GRID_GLSL

#include "iq_grids.glsl"

// The 8 sign bits a 7-bit sign index stands for: the 8th makes the count of
// minus signs even.
uint iq_sign_bits(uint index7) {
    return index7 | ((bitCount(index7) & 1u) << 7);
}

// -1.0 where bit t of `signs` is set, else 1.0.
float iq_sign(uint signs, uint t) {
    return ((signs >> t) & 1u) != 0u ? -1.0 : 1.0;
}

// The 16-bit code of entry i of grid NAME (NAME_GRID holds two to a word);
// value k of the entry is NAME_LEVELS[IQ_GRID_VALUE(NAME, code, k)].
#define IQ_GRID_CODE(NAME, i) ((NAME##_GRID[(i) >> 1u] >> (16u * ((i) & 1u))) & 0xFFFFu)
#define IQ_GRID_VALUE(NAME, code, k) (NAME##_LEVELS[((code) >> (NAME##_FIELD * (k))) & ((1u << NAME##_FIELD) - 1u)])

#endif
