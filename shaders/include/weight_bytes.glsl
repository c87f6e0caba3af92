// Byte-level reads of GGUF tensor data held in a 32-bit storage buffer.
// Blocks of most formats are not 4-byte aligned (a Q4_0 block is 18 bytes),
// so every read takes a byte offset and picks its bits out of the words that
// hold them; no read touches a word that holds none of the bytes asked for.
//
// Before including this file, define
//     uint weightWord(uint index)   // 32-bit word `index` of the tensor data, little-endian
// e.g. `uint weightWord(uint i) { return weights[i]; }` over a `readonly buffer { uint weights[]; }`.
// Offsets are in bytes from the start of that data (so a tensor is at most 4 GiB).
#ifndef NIBBLE_WEIGHT_BYTES_GLSL
#define NIBBLE_WEIGHT_BYTES_GLSL

// The unsigned byte at `offset`.
uint readU8(uint offset) {
    return (weightWord(offset >> 2) >> ((offset & 3u) * 8u)) & 0xFFu;
}

// The signed byte at `offset`, sign-extended.
int readI8(uint offset) {
    return bitfieldExtract(int(weightWord(offset >> 2)), int((offset & 3u) * 8u), 8);
}

// The little-endian u16 at an even `offset` (it never straddles two words).
uint readU16(uint offset) {
    return (weightWord(offset >> 2) >> ((offset & 2u) * 8u)) & 0xFFFFu;
}

// The little-endian u32 at any `offset`: one word when aligned, else two.
uint readU32(uint offset) {
    const uint word = offset >> 2;
    const uint shift = (offset & 3u) * 8u;
    const uint low = weightWord(word);
    if (shift == 0u) return low;
    return (low >> shift) | (weightWord(word + 1u) << (32u - shift));
}

// The IEEE half at an even `offset`, as a float.
float readHalf(uint offset) {
    return unpackHalf2x16(readU16(offset)).x;
}

// The bfloat16 at an even `offset`, as a float (its bits are a float's top half).
float readBf16(uint offset) {
    return uintBitsToFloat(readU16(offset) << 16);
}

#endif
