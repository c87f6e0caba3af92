#pragma once
// The CPU attention of CpuTransformer, in double, for the Vulkan attention
// kernels' tests: causal, grouped-query, optional sliding window and softcap,
// over caches of rows kvHeads * headDim per position.
#include "vulkan/forward_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

namespace nibble::test {

inline std::vector<double> cpuAttention(std::span<const float> q, std::span<const float> k, std::span<const float> v,
                                        std::span<const int32_t> positions, const vulkan::AttentionParams& p) {
    const uint32_t kStride = p.kvHeads * p.headDimK, vStride = p.kvHeads * p.headDimV;
    std::vector<double> out(positions.size() * p.heads * p.headDimV);
    for (size_t t = 0; t < positions.size(); ++t) {
        const int pos = positions[t];
        const int first = p.window ? std::max(0, pos - int(p.window) + 1) : 0;
        for (uint32_t h = 0; h < p.heads; ++h) {
            const uint32_t kvh = h / (p.heads / p.kvHeads);
            std::vector<double> scores;
            for (int j = first; j <= pos; ++j) {
                double s = 0;
                for (uint32_t i = 0; i < p.headDimK; ++i)
                    s += double(q[(t * p.heads + h) * p.headDimK + i]) * k[j * kStride + kvh * p.headDimK + i];
                s *= p.scale;
                if (p.softcap > 0) s = p.softcap * std::tanh(s / p.softcap);
                scores.push_back(s);
            }
            const double top = *std::max_element(scores.begin(), scores.end());
            double sum = 0;
            for (double& s : scores) sum += s = std::exp(s - top);
            for (uint32_t d = 0; d < p.headDimV; ++d) {
                double acc = 0;
                for (int j = first; j <= pos; ++j) acc += scores[j - first] * v[j * vStride + kvh * p.headDimV + d];
                out[(t * p.heads + h) * p.headDimV + d] = acc / sum;
            }
        }
    }
    return out;
}

}  // namespace nibble::test
