#pragma once
// Reproducible inputs for the Vulkan kernel tests: the same seed gives the
// same values on every run and machine.
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace nibble::test {

// n floats drawn uniformly from [lo, hi).
inline std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

}  // namespace nibble::test
