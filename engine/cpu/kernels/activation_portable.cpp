// GELU and SiLU gates in plain C++, through one exp approximation that every
// instruction set repeats lane by lane.
//
// GELU's tanh form is x / 2 * (1 + tanh(u)) = x / (1 + exp(-2u)), and SiLU
// is x / (1 + exp(-x)): one exp each, and no cancellation where tanh(u)
// nears -1, so small negative outputs keep their relative accuracy (libm's
// tanhf, called per element, was a tenth of a Gemma prompt). exp is
// 2^n * e^r with n = round(x / ln 2) and |r| <= ln 2 / 2, e^r by its Taylor
// series to r^7 (truncation under 1e-8 relative), ln 2 in two parts so that
// r is exact; 2^n goes straight into the exponent bits. Arguments are
// clamped to where 2^n is a normal float; the gates only need the far ends
// to saturate.
#include "cpu/kernel_table.h"

#include <bit>
#include <cstddef>
#include <cstdint>

namespace nibble::cpu {
namespace {

constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;

float expApprox(float x) {
    x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float n = float(int32_t(x * 1.44269504088896341f + (x < 0.0f ? -0.5f : 0.5f)));
    const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187045e-06f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return p * std::bit_cast<float>((int32_t(n) + 127) << 23);
}

void geluGate(float* gate, const float* up, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const float x = gate[i];
        const float u = kSqrt2OverPi * x * (1.0f + 0.044715f * x * x);
        gate[i] = x / (1.0f + expApprox(-2.0f * u)) * up[i];
    }
}

void siluGate(float* gate, const float* up, size_t n) {
    for (size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + expApprox(-gate[i])) * up[i];
}

}  // namespace

void addActivationPortable(KernelTable& table) {
    table.geluGate = geluGate;
    table.siluGate = siluGate;
}

}  // namespace nibble::cpu
