#pragma once
// What a model's makers recommend for sampling, where they say: it replaces
// the engine's built-in defaults for that model, while a value the user set
// in Settings still wins.
#include <QString>

#include <optional>

namespace nibble::app {

struct RecommendedSampling {
    std::optional<double> temperature;
    std::optional<double> topP;
    std::optional<int> topK;
    std::optional<double> minP;
    std::optional<double> repeatPenalty;
};

// By the model's name (general.name) and GGUF architecture; nothing set for a
// model without a recommendation.
RecommendedSampling recommendedSampling(const QString& modelName, const QString& architecture);

}  // namespace nibble::app
