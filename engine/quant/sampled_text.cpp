#include "quant/sampled_text.h"

#include "cpu/cpu_transformer.h"
#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "nibble/error.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace nibble::quant {

std::vector<std::vector<int32_t>> sampleSequences(const ModelConfig& config, const ModelWeights& weights,
                                                  const Tokenizer& tokenizer, int32_t start, int tokens,
                                                  int maxLength, ThreadPool& pool,
                                                  const std::function<bool(float)>& progress) {
    // The fast path: sampling needs the distribution, not the reference's last bits.
    CpuTransformer model(config, weights, maxLength, pool, &cpu::kernelTable(cpu::preferredIsa()));
    std::mt19937_64 random(0x6e6962626c65);
    std::vector<std::vector<int32_t>> out;
    std::vector<float> logits;
    std::vector<double> p;
    int written = 0;
    while (written < tokens) {
        std::vector<int32_t> sequence{start};
        const int length = std::min(maxLength, tokens - written);
        while (int(sequence.size()) < length) {
            if (progress && !progress(float(written + int(sequence.size())) / float(tokens)))
                throw Error(ErrorKind::Cancelled, "quantization was cancelled");
            model.forward(std::span(&sequence.back(), 1), int(sequence.size()) - 1, false, logits);
            const float top = *std::max_element(logits.begin(), logits.end());
            p.resize(logits.size());
            double sum = 0;
            for (size_t i = 0; i < logits.size(); ++i) sum += p[i] = std::exp(double(logits[i]) - double(top));
            // 53 random bits make a uniform draw in [0, sum).
            double u = double(random() >> 11) * 0x1.0p-53 * sum;
            size_t token = 0;
            while (token + 1 < p.size() && u >= p[token]) u -= p[token++];
            if (tokenizer.isEndOfGeneration(int32_t(token))) break;
            sequence.push_back(int32_t(token));
        }
        written += int(sequence.size());
        if (sequence.size() > 1) out.push_back(std::move(sequence));
    }
    return out;
}

}  // namespace nibble::quant
