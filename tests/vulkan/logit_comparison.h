#pragma once
// How the Vulkan tests compare a backend's logits with the CPU reference's.
#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace nibble::test {

// Probabilities in double, so tiny differences between backends survive.
inline std::vector<double> softmax(std::span<const float> logits) {
    const float top = *std::max_element(logits.begin(), logits.end());
    std::vector<double> p(logits.size());
    double sum = 0;
    for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(double(logits[i]) - top);
    for (double& x : p) x /= sum;
    return p;
}

// KL(reference || candidate) of the two distributions the logits give.
inline double klDivergence(std::span<const float> reference, std::span<const float> candidate) {
    const std::vector<double> p = softmax(reference), q = softmax(candidate);
    double kl = 0;
    for (size_t i = 0; i < p.size(); ++i)
        if (p[i] > 0) kl += p[i] * std::log(p[i] / std::max(q[i], 1e-300));
    return kl;
}

}  // namespace nibble::test
