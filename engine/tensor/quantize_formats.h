#pragma once
// One quantizer per format, each writing n / blockSize whole blocks for a
// row of n floats. With importance == nullptr they equal ggml's reference
// quantizers (quantize_row_*_ref); with per-column importance weights they
// equal ggml's importance-matrix path (quantize_* with quant_weights), which
// needs the whole row at once (its error weights use the row's variance).
#include <cstdint>

namespace nibble::quant {

void quantizeQ4_0(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeQ4_1(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeQ5_0(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeQ5_1(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeQ8_0(const float* x, uint8_t* dst, int64_t n);

void quantizeQ4_K(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeQ5_K(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeQ6_K(const float* x, uint8_t* dst, int64_t n, const float* importance);

// Not byte-exact with ggml: see quantize_iq4.cpp.
void quantizeIQ4_NL(const float* x, uint8_t* dst, int64_t n, const float* importance);
void quantizeIQ4_XS(const float* x, uint8_t* dst, int64_t n, const float* importance);

}  // namespace nibble::quant
