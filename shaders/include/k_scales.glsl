// The packed 6-bit scales and mins shared by Q4_K and Q5_K
// (engine/tensor/block_formats.h): 12 bytes hold 8 scales sc[s] and mins mn[s]:
//   s < 4:  sc = scales[s] & 63,  mn = scales[s+4] & 63
//   s >= 4: sc = (scales[s+4] & 15) | ((scales[s-4] >> 6) << 4)
//           mn = (scales[s+4] >> 4) | ((scales[s]   >> 6) << 4)
// Needs weight_bytes.glsl (and so weightWord) first.
#ifndef NIBBLE_K_SCALES_GLSL
#define NIBBLE_K_SCALES_GLSL

// Scale and min of sub-block s (0..7) from the 12 bytes at `scales`.
void k_scale_min(uint scales, uint s, out uint sc, out uint mn) {
    if (s < 4u) {
        sc = readU8(scales + s) & 63u;
        mn = readU8(scales + s + 4u) & 63u;
    } else {
        const uint packed = readU8(scales + s + 4u);
        sc = (packed & 15u) | ((readU8(scales + s - 4u) >> 6) << 4);
        mn = (packed >> 4) | ((readU8(scales + s) >> 6) << 4);
    }
}

#endif
