#include "api/chat_prompt.h"
#include "api/model_access.h"
#include "nibble/evaluation.h"

#include <algorithm>
#include <cmath>

namespace nibble {
namespace {

// Running sums of the per-token figures of one model against the reference.
class QualityStats {
public:
    void add(const float* reference, const float* variant, size_t vocab, int32_t next) {
        double refMax = *std::max_element(reference, reference + vocab), varMax = *std::max_element(variant, variant + vocab);
        double refSum = 0, varSum = 0;
        for (size_t v = 0; v < vocab; ++v) {
            refSum += std::exp(double(reference[v]) - refMax);
            varSum += std::exp(double(variant[v]) - varMax);
        }
        const double refLogZ = refMax + std::log(refSum), varLogZ = varMax + std::log(varSum);
        double kld = 0;
        for (size_t v = 0; v < vocab; ++v) {
            const double lp = double(reference[v]) - refLogZ, lq = double(variant[v]) - varLogZ;
            kld += std::exp(lp) * (lp - lq);
        }
        kld = std::max(kld, 0.0);
        klds_.push_back(kld);
        kldSum_ += kld;
        kldSum2_ += kld * kld;
        const double nll = varLogZ - double(variant[next]);
        nll_ += nll;
        nll2_ += nll * nll;
        const bool same = std::max_element(reference, reference + vocab) - reference == std::max_element(variant, variant + vocab) - variant;
        same_ += same;
        const double dp = std::exp(double(variant[next]) - varLogZ) - std::exp(double(reference[next]) - refLogZ);
        dp2_ += dp * dp;
        dp4_ += dp * dp * dp * dp;
    }

    void finish(VariantQuality& q) {
        const double n = double(klds_.size());
        q.scoredTokens = int(n);
        if (n < 2) return;
        const double meanNll = nll_ / n;
        q.perplexity = std::exp(meanNll);
        q.perplexityError = q.perplexity * std::sqrt(std::max(0.0, nll2_ / n - meanNll * meanNll) / (n - 1));
        q.kldMean = kldSum_ / n;
        q.kldMeanError = std::sqrt(std::max(0.0, kldSum2_ / n - q.kldMean * q.kldMean) / (n - 1));
        std::sort(klds_.begin(), klds_.end());
        q.kldP99 = klds_[std::min(size_t(n) - 1, size_t(0.99 * (n - 1) + 0.5))];
        q.kldMax = klds_.back();
        const double p = same_ / n;
        q.sameTopPercent = 100 * p;
        q.sameTopError = 100 * std::sqrt(p * (1 - p) / (n - 1));
        const double ms = dp2_ / n;
        q.rmsDeltaP = std::sqrt(ms);
        // Error of a root mean square through the delta method.
        const double varMs = std::max(0.0, dp4_ / n - ms * ms) / (n - 1);
        q.rmsDeltaPError = ms > 0 ? std::sqrt(varMs) / (2 * q.rmsDeltaP) : 0;
    }

private:
    std::vector<double> klds_;
    double kldSum_ = 0, kldSum2_ = 0, nll_ = 0, nll2_ = 0, same_ = 0, dp2_ = 0, dp4_ = 0;
};

struct Candidate {
    std::shared_ptr<Model> model;
    std::unique_ptr<Session> session;
    QualityStats stats;
};

// Greedy reply of the reference, as token ids.
std::vector<int32_t> referenceReply(const ModelImpl& m, InferenceBackend& backend, std::vector<int32_t> tokens, int maxTokens) {
    std::vector<float> logits;
    backend.forward(tokens, 0, false, logits);
    std::vector<int32_t> reply;
    while (int(reply.size()) < maxTokens && int(tokens.size()) < backend.contextLength()) {
        const int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
        reply.push_back(next);
        if (m.tokenizer->isEndOfGeneration(next)) break;
        backend.forward(std::span(&next, 1), int(tokens.size()), false, logits);
        tokens.push_back(next);
    }
    return reply;
}

}  // namespace

std::vector<VariantQuality> compareModels(const std::filesystem::path& reference,
                                          const std::vector<std::filesystem::path>& variants,
                                          const CompareOptions& options) {
    if (options.text.empty() == options.conversations.empty())
        throw Error(ErrorKind::InvalidArgument, "compare needs either a text or a set of conversations");
    // Loading and the reference's replies take a while too: every phase
    // reports (loading to 10 %, replies to 20 %, scoring to 95 %, speed to
    // 100 %), so a progress bar moves from the start and cancel works throughout.
    const auto report = [&options](float fraction) {
        if (options.progress && !options.progress(fraction))
            throw Error(ErrorKind::Cancelled, "the comparison was cancelled");
    };
    LoadOptions load;
    load.backend = options.backend;
    load.contextLength = uint32_t(std::max(options.nCtx, 64));
    std::vector<Candidate> models;
    std::vector<std::filesystem::path> paths = {reference};
    paths.insert(paths.end(), variants.begin(), variants.end());
    for (const auto& path : paths) {
        Candidate c;
        c.model = Model::open(path, load);
        c.session = std::make_unique<Session>(c.model);
        if (!models.empty() && c.model->info().vocabSize != models.front().model->info().vocabSize)
            throw Error(ErrorKind::InvalidArgument, path.filename().string() + " has a different vocabulary from the reference");
        models.push_back(std::move(c));
        report(0.1f * float(models.size()) / float(paths.size()));
    }
    Model& ref = *models.front().model;
    const size_t vocab = ref.info().vocabSize;

    // Each item is a token sequence and the first position whose prediction is scored.
    std::vector<std::pair<std::vector<int32_t>, int>> items;
    if (!options.text.empty()) {
        std::vector<int32_t> tokens = ref.tokenize(options.text, true, false);
        const int chunks = int(tokens.size()) / options.nCtx;
        if (chunks == 0)
            throw Error(ErrorKind::InvalidArgument, "the text has " + std::to_string(tokens.size()) +
                                                        " tokens, fewer than one chunk of " + std::to_string(options.nCtx));
        for (int c = 0; c < chunks; ++c) {
            std::vector<int32_t> chunk(tokens.begin() + c * options.nCtx, tokens.begin() + (c + 1) * options.nCtx);
            chunk[0] = tokens.front();
            items.emplace_back(std::move(chunk), options.nCtx / 2);
        }
    } else {
        const ModelImpl& m = modelImpl(ref);
        auto backend = m.createBackend();
        for (size_t i = 0; i < options.conversations.size(); ++i) {
            const auto& conversation = options.conversations[i];
            // Scored whole, none of its turns dropped: what does not fit is refused below.
            std::vector<int32_t> prompt = encodeChatPrompt(m, conversation);
            const bool replyGiven = i < options.replies.size() && !options.replies[i].empty();
            std::vector<int32_t> reply;
            if (replyGiven) {
                // A reply is text a model wrote, not markup: no special tokens parsed out of it.
                reply = m.tokenizer->encode(options.replies[i], false, false);
                if (int(reply.size()) > options.replyTokens) reply.resize(size_t(options.replyTokens));
            }
            // Room for the reply scored: the given one as it is, else as long as may be generated.
            const int replyRoom = replyGiven ? int(reply.size()) : options.replyTokens;
            if (int(prompt.size()) + replyRoom > backend->contextLength())
                throw Error(ErrorKind::ContextFull, "a conversation is too long for a context of " + std::to_string(backend->contextLength()));
            if (!replyGiven) reply = referenceReply(m, *backend, prompt, options.replyTokens);
            const int first = int(prompt.size()) - 1;
            prompt.insert(prompt.end(), reply.begin(), reply.end());
            items.emplace_back(std::move(prompt), first);
            report(0.1f + 0.1f * float(i + 1) / float(options.conversations.size()));
        }
    }

    const float steps = float(items.size() * models.size());
    float done = 0;
    for (const auto& [tokens, first] : items) {
        std::vector<float> refLogits;
        for (size_t k = 0; k < models.size(); ++k) {
            std::vector<float> logits = models[k].session->evaluate(tokens);
            if (k == 0) refLogits = logits;
            for (size_t j = size_t(first); j + 1 < tokens.size(); ++j)
                models[k].stats.add(&refLogits[j * vocab], &logits[j * vocab], vocab, tokens[j + 1]);
            report(0.2f + 0.75f * (++done / steps));
        }
    }

    std::vector<VariantQuality> out;
    for (size_t k = 0; k < models.size(); ++k) {
        VariantQuality q;
        q.path = paths[k].string();
        q.fileType = models[k].model->info().fileType;
        q.fileBytes = models[k].model->info().fileSize;
        q.weightBytes = models[k].model->info().weightBytes;
        if (const uint64_t params = models[k].model->info().parameterCount)
            q.bitsPerWeight = 8.0 * double(q.weightBytes) / double(params);
        models[k].stats.finish(q);
        if (options.speedTokens > 0) {
            GenerateOptions g;
            g.sampling = SamplingParams::greedy();
            g.maxTokens = options.speedTokens;
            Session speed(models[k].model);
            q.decodeTokensPerSecond = speed.complete("The", g, {}).tokensPerSecond();
            report(0.95f + 0.05f * float(k + 1) / float(models.size()));
        }
        out.push_back(q);
    }
    return out;
}

}  // namespace nibble
