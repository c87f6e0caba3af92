#pragma once
// Measuring a model on text, with the protocol of the established tools so
// figures can be compared directly: the text is tokenized once with BOS, cut
// into chunks of nCtx tokens whose first token is replaced by BOS, each chunk
// evaluated on its own, and only the second half of each chunk scored.
#include "nibble/engine.h"

#include <functional>
#include <string>
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

// How far variants of a model are from a reference, measured on text or on
// chat conversations. Every variant must share the reference's vocabulary.
struct VariantQuality {
    std::string path;
    std::string fileType;
    uint64_t fileBytes = 0;
    uint64_t weightBytes = 0;
    // Of all tensors, the way quantization tables state size, so a lower KLD
    // is always compared at a stated size.
    double bitsPerWeight = 0;
    double perplexity = 0, perplexityError = 0;
    double kldMean = 0, kldMeanError = 0, kldP99 = 0, kldMax = 0;  // KL(reference || variant), nats
    double sameTopPercent = 0, sameTopError = 0;                   // argmax agrees with the reference
    double rmsDeltaP = 0, rmsDeltaPError = 0;                      // probability of the true next token
    double decodeTokensPerSecond = 0;
    int scoredTokens = 0;
};

struct CompareOptions {
    std::string text;                                     // scored with the perplexity protocol, or
    std::vector<std::vector<ChatMessage>> conversations;  // each ends with a user turn: the reference answers,
                                                          // every model is scored on that answer (teacher forcing)
    // Optional, by conversation: the answer to score instead of the
    // reference's greedy one (the reply a person saw), cut to replyTokens.
    std::vector<std::string> replies;
    int nCtx = 512;
    int replyTokens = 96;
    int speedTokens = 32;   // greedy tokens generated to measure decode speed; 0 skips it
    BackendKind backend = BackendKind::Cpu;
    std::function<bool(float)> progress;  // 0..1; false cancels
};

// Element 0 is the reference against itself (KLD 0); then one per variant.
std::vector<VariantQuality> compareModels(const std::filesystem::path& reference,
                                          const std::vector<std::filesystem::path>& variants,
                                          const CompareOptions& options);

}  // namespace nibble
