#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace nibble {
namespace {

void applyPenalties(std::vector<float>& logits, std::span<const int32_t> history, const SamplingParams& p) {
    if ((p.repeatPenalty == 1.0f && p.presencePenalty == 0.0f) || p.repeatLastN == 0) return;
    const size_t n = p.repeatLastN < 0 ? history.size() : std::min<size_t>(history.size(), size_t(p.repeatLastN));
    std::unordered_set<int32_t> seen(history.end() - n, history.end());
    for (int32_t id : seen) {
        if (id < 0 || size_t(id) >= logits.size()) continue;
        float& l = logits[id];
        l = l > 0 ? l / p.repeatPenalty : l * p.repeatPenalty;
        l -= p.presencePenalty;
    }
}

}  // namespace

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::sample(std::span<const float> rawLogits, std::span<const int32_t> history) {
    std::vector<float> logits(rawLogits.begin(), rawLogits.end());
    applyPenalties(logits, history, params_);
    if (params_.temperature <= 0.0f)
        return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());

    candidates_.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) candidates_[i] = {int32_t(i), logits[i], 0.0f};
    auto byLogit = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit || (a.logit == b.logit && a.id < b.id); };
    size_t keep = candidates_.size();
    if (params_.topK > 0 && size_t(params_.topK) < keep) {
        keep = size_t(params_.topK);
        std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), byLogit);
        candidates_.resize(keep);
    } else {
        std::sort(candidates_.begin(), candidates_.end(), byLogit);
    }
    auto normalise = [&](float temperature) {
        const float maxLogit = candidates_.front().logit;
        double sum = 0;
        for (auto& c : candidates_) sum += c.p = std::exp((c.logit - maxLogit) / temperature);
        for (auto& c : candidates_) c.p = float(c.p / sum);
    };
    normalise(1.0f);
    if (params_.topP < 1.0f) {
        double cumulative = 0;
        size_t n = 0;
        while (n < candidates_.size()) {
            cumulative += candidates_[n++].p;
            if (cumulative >= params_.topP) break;
        }
        candidates_.resize(std::max<size_t>(n, 1));
    }
    if (params_.minP > 0.0f) {
        const float threshold = candidates_.front().p * params_.minP;
        size_t n = 1;
        while (n < candidates_.size() && candidates_[n].p >= threshold) ++n;
        candidates_.resize(n);
    }
    normalise(params_.temperature);
    // 53 random bits to a double in [0, 1): the same on every standard library.
    const double r = double(rng_() >> 11) * 0x1.0p-53;
    double cumulative = 0;
    for (const auto& c : candidates_) {
        cumulative += c.p;
        if (r < cumulative) return c.id;
    }
    return candidates_.back().id;
}

}  // namespace nibble
