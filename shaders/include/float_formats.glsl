// Unquantized weights: F32 (4 bytes), F16 and BF16 (2 bytes) per weight, rows
// of any length, so a row need not start on a 4-byte boundary.
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_FLOAT_FORMATS_GLSL
#define NIBBLE_FLOAT_FORMATS_GLSL

// Weights first .. first + 31 of the row that starts at byte `row` and holds
// `count` weights; those past the end of the row read as 0.
void dequant_f32(uint row, uint first, uint count, out float v[32]) {
    [[unroll]] for (uint j = 0u; j < 32u; ++j)
        v[j] = first + j < count ? uintBitsToFloat(readU32(row + 4u * (first + j))) : 0.0;
}

void dequant_f16(uint row, uint first, uint count, out float v[32]) {
    [[unroll]] for (uint j = 0u; j < 32u; ++j) v[j] = first + j < count ? readHalf(row + 2u * (first + j)) : 0.0;
}

void dequant_bf16(uint row, uint first, uint count, out float v[32]) {
    [[unroll]] for (uint j = 0u; j < 32u; ++j) v[j] = first + j < count ? readBf16(row + 2u * (first + j)) : 0.0;
}

#endif
