#include "library/recommended_sampling.h"

namespace nibble::app {

RecommendedSampling recommendedSampling(const QString& modelName, const QString& architecture) {
    // Gemma (gemma, gemma2, gemma3 architectures): the Gemma team's
    // recommended inference settings for Gemma 3, also in the generation_config.json
    // of google/gemma-3-*-it: temperature 1.0, top_k 64, top_p 0.95, min_p 0,
    // no repetition penalty.
    if (architecture.startsWith(QLatin1String("gemma"), Qt::CaseInsensitive))
        return {.temperature = 1.0, .topP = 0.95, .topK = 64, .minP = 0.0, .repeatPenalty = 1.0};
    // SmolLM2 (a llama architecture, told apart by name): the usage example of
    // the HuggingFaceTB/SmolLM2-*-Instruct model cards samples with
    // temperature 0.2 and top_p 0.9.
    RecommendedSampling recommended;
    if (modelName.contains(QLatin1String("SmolLM2"), Qt::CaseInsensitive)) {
        recommended.temperature = 0.2;
        recommended.topP = 0.9;
    }
    return recommended;
}

}  // namespace nibble::app
