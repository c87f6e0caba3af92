#pragma once
// The scale searches behind ggml's quantizers, reimplemented operation for
// operation (same products, same order, same float type) so that our
// quantized bytes equal those of ggml's reference quantizers. Each picks the
// integer levels L[i] and a scale (and for the "qkx" searches a min) that
// make scale * L[i] (- min) close to x[i] in a weighted least-squares sense.
#include <cstdint>

namespace nibble::quant {

// Rounds to the nearest integer, ties to even, for |f| < 2^22.
int nearestInt(float f);

// Symmetric levels L[i] in 0..2*nmax-1 standing for L[i] - nmax; returns the
// scale. weights: per-element error weights, or nullptr for x[i]^2.
// (ggml's make_qx_quants with rmse_type 1.)
float makeQxQuants(int n, int nmax, const float* x, int8_t* levels, const float* weights);

// Asymmetric levels 0..nmax with a min <= 0 (stored negated in *negMin),
// searched over nstep+1 candidate scales. (ggml's make_qkx2_quants.)
float makeQkx2Quants(int n, int nmax, const float* x, const float* weights, uint8_t* levels, float* negMin,
                     float rmin, float rdelta, int nstep, bool useMad);

// As makeQkx2Quants, with the guards ggml's importance-matrix path uses.
// (ggml's make_qkx3_quants; weights must not be null.)
float makeQkx3Quants(int n, int nmax, const float* x, const float* weights, uint8_t* levels, float* negMin,
                     float rmin, float rdelta, int nstep, bool useMad);

// Non-negative values x[i] >= 0 as levels 0..nmax, weighted; used to
// quantize the sub-block scales of K-quants. (ggml's make_qp_quants.)
float makeQpQuants(int n, int nmax, const float* x, uint8_t* levels, const float* weights);

}  // namespace nibble::quant
