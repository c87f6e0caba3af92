#pragma once
// Picks the next token from logits: penalties, then greedy or the chain
// top-k -> top-p -> min-p -> temperature -> a draw from a seeded generator,
// so a seed and settings reproduce a reply exactly on any platform.
#include "nibble/engine.h"

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace nibble {

class Sampler {
public:
    explicit Sampler(const SamplingParams& params);

    // history: the tokens so far (prompt and reply), for the penalties.
    int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

private:
    struct Candidate {
        int32_t id;
        float logit;
        float p;
    };

    SamplingParams params_;
    std::mt19937_64 rng_;
    std::vector<Candidate> candidates_;
};

}  // namespace nibble
