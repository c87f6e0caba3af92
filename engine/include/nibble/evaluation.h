#pragma once
// Measuring a model on text, with the protocol of the established tools so
// figures can be compared directly: the text is tokenized once with BOS, cut
// into chunks of nCtx tokens whose first token is replaced by BOS, each chunk
// evaluated on its own, and only the second half of each chunk scored.
#include "nibble/engine.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace nibble {

struct PerplexityResult {
    double perplexity = 0;
    double perplexityError = 0;  // one standard error
    int chunks = 0;
    int scoredTokens = 0;
};

// progress(chunksDone, chunksTotal); returning false cancels.
PerplexityResult perplexity(Session& session, const Model& model, const std::string& text, int nCtx,
                            const std::function<bool(int, int)>& progress = {});

// What a GGUF file holds, read without loading the weights (for `nibble-cli info`).
struct ModelFileSummary {
    std::vector<std::pair<std::string, std::string>> metadata;  // key, value as display text
    std::vector<std::pair<std::string, uint64_t>> tensorTypes;  // type name, tensor count
    uint64_t tensorCount = 0;
    uint64_t parameterCount = 0;
    uint32_t ggufVersion = 0;
};
ModelFileSummary inspectModelFile(const std::filesystem::path& path);

}  // namespace nibble
