#include "nibble/evaluation.h"

#include <algorithm>
#include <cmath>

namespace nibble {

PerplexityResult perplexity(Session& session, const Model& model, const std::string& text, int nCtx,
                            const std::function<bool(int, int)>& progress) {
    if (nCtx < 4) throw Error(ErrorKind::InvalidArgument, "the evaluation context must be at least 4 tokens");
    std::vector<int32_t> tokens = model.tokenize(text, true, false);
    const int chunks = int(tokens.size()) / nCtx;
    if (chunks == 0)
        throw Error(ErrorKind::InvalidArgument, "the text has " + std::to_string(tokens.size()) +
                                                    " tokens, fewer than one chunk of " + std::to_string(nCtx));
    // As llama-perplexity does: a chunk starts with BOS when the model puts
    // one before a text (tokenizing nothing then gives BOS alone); otherwise
    // it keeps its own first token (SmolLM2 adds none).
    const std::vector<int32_t> start = model.tokenize("", true, false);
    const size_t vocab = model.info().vocabSize;
    const int first = nCtx / 2;
    double nll = 0, nll2 = 0;
    int count = 0;
    for (int c = 0; c < chunks; ++c) {
        std::vector<int32_t> chunk(tokens.begin() + c * nCtx, tokens.begin() + (c + 1) * nCtx);
        if (!start.empty()) chunk[0] = start.front();
        std::vector<float> logits = session.evaluate(chunk);
        for (int j = first; j < nCtx - 1; ++j) {
            const float* row = &logits[size_t(j) * vocab];
            const float maxLogit = *std::max_element(row, row + vocab);
            double sum = 0;
            for (size_t v = 0; v < vocab; ++v) sum += std::exp(double(row[v]) - maxLogit);
            const double value = std::log(sum) - (double(row[chunk[j + 1]]) - maxLogit);
            nll += value;
            nll2 += value * value;
            ++count;
        }
        if (progress && !progress(c + 1, chunks)) throw Error(ErrorKind::Cancelled, "the evaluation was cancelled");
    }
    PerplexityResult r;
    r.chunks = chunks;
    r.scoredTokens = count;
    const double mean = nll / count;
    r.perplexity = std::exp(mean);
    const double variance = nll2 / count - mean * mean;
    if (variance > 0 && count > 1) r.perplexityError = std::sqrt(variance / (count - 1)) * r.perplexity;
    return r;
}

}  // namespace nibble
