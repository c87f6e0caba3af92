#pragma once
// Quantizes rows of f32 weights into GGUF tensor types. Without importance
// weights the bytes equal those of ggml's reference quantizers (and so of
// llama.cpp's quantize tool without an imatrix); with them they equal ggml's
// importance-matrix path, which minimises the importance-weighted squared
// error. IQ4_NL and IQ4_XS follow ggml's search but are not byte-exact with
// it (quantize_iq4.cpp says why). Deterministic: the same input always gives
// the same bytes.
#include "tensor/ggml_type.h"

#include <cstddef>
#include <cstdint>

namespace nibble {

// The types marked quantize in tensor/ggml_type.h's table: F32, F16, BF16,
// Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS.
bool canQuantize(GgmlType type);

// Bytes a row of n weights of this type occupies (n a multiple of the block size).
size_t quantizedRowBytes(GgmlType type, int64_t n);

// Quantizes one whole row of n weights (n a multiple of the block size) into
// dst, which must hold quantizedRowBytes(type, n) bytes; returns that count.
// importance: nullable, n non-negative weights, one per column (e.g. the mean
// squared activation of each input channel); the importance path works on
// the whole row, so pass rows, not pieces of them. F32, F16, BF16 and Q8_0
// ignore it, as ggml does.
// Throws Error(Unsupported) for other types, Error(InvalidArgument) for a
// bad n.
size_t quantizeRow(GgmlType type, const float* src, uint8_t* dst, int64_t n, const float* importance = nullptr);

}  // namespace nibble
