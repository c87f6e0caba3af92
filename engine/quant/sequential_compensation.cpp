#include "quant/sequential_compensation.h"

#include "cpu/cpu_transformer.h"
#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "model/model_weights.h"
#include "model/tensor_values.h"
#include "nibble/error.h"
#include "quant/channel_scales.h"
#include "quant/dense_products.h"
#include "quant/error_compensation.h"
#include "quant/sampled_text.h"
#include "tensor/dequantize.h"
#include "tensor/quantize.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <array>
#include <memory>
#include <set>

namespace nibble::quant {
namespace {

// Of the progress, what writing the model's own text takes.
constexpr float kSamplingShare = 0.2f;

// The most rows of a group the channel scale search rounds per exponent.
constexpr size_t kScaleSearchRows = 256;

// Thrown by an activation observer once it has what it came for: the rest of
// the layer pass (most of its products, for the early sites) is not needed.
struct SiteReached {};

// The places in a layer where a group of matrices shares one input.
enum Site { kQkv, kAttnOutput, kGateUp, kDown, kSites };

std::array<const Tensor*, 3> slotsAt(const LayerWeights& L, int site) {
    switch (site) {
    case kQkv: return {L.wq, L.wk, L.wv};
    case kAttnOutput: return {L.wo, nullptr, nullptr};
    case kGateUp: return {L.gate, L.up, nullptr};
    default: return {L.down, nullptr, nullptr};
    }
}

// With x the input the source model gives a group and y the input the model
// quantized so far gives it: A = mean y y^T, B = mean x y^T (both K x K).
struct Moments {
    size_t n = 0;
    std::vector<double> a, b;
    uint64_t rows = 0;

    explicit Moments(size_t width) : n(width), a(width * width, 0.0), b(width * width, 0.0) {}

    void add(const float* x, const float* y, int batch, ThreadPool& pool) {
        rows += uint64_t(batch);
        // A is symmetric, so only its lower triangle is summed here.
        addSymmetricProduct(MatrixView<float>{y, 1, n}, y, n, n, size_t(batch), a.data(), pool);
        addProduct(MatrixView<float>{x, 1, n}, y, n, n, n, size_t(batch), b.data(), n, pool);
    }

    void average() {
        const double scale = rows ? 1.0 / double(rows) : 0.0;
        for (size_t i = 0; i < n; ++i) {
            for (size_t j = 0; j <= i; ++j) a[i * n + j] = a[j * n + i] = a[i * n + j] * scale;
            for (size_t j = 0; j < n; ++j) b[i * n + j] *= scale;
        }
    }
};

// How a group's weights are corrected and rounded, computed once for all of
// its matrices: A and the factor U (U^T U = A^-1, damped), D = (B - A) A^-1
// (the aim: W* = W B A^-1 = W + W D, which leaves W as it is where y = x),
// and diag A for the formats' own scale search.
struct Correction {
    GroupStatistics stats;
    std::vector<double> d;
};

// keepSecond: A itself is kept too (the channel scale search scores with it).
Correction correctionOf(Moments m, double damping, bool keepSecond, ThreadPool& pool) {
    const size_t n = m.n;
    Correction c;
    c.stats.k = int64_t(n);
    c.stats.importance.resize(n);
    for (size_t i = 0; i < n; ++i) c.stats.importance[i] = float(m.a[i * n + i]);
    if (keepSecond) c.stats.second = m.a;
    for (size_t i = 0; i < n * n; ++i) m.b[i] -= m.a[i];
    c.stats.factor = inverseCholeskyFactor(std::move(m.a), int64_t(n), damping);
    const std::vector<double>& u = c.stats.factor;
    std::vector<double> inv(n * n);
    gramOfUpper(u.data(), n, inv.data(), pool);
    c.d.assign(n * n, 0.0);
    addProduct(MatrixView<double>{m.b.data(), n, 1}, inv.data(), n, n, n, n, c.d.data(), n, pool);
    return c;
}

std::vector<float> toFloat(const Tensor& t) {
    const int64_t n = int64_t(t.shape[0]);
    const uint64_t rowBytes = t.byteSize / t.rows();
    std::vector<float> out(size_t(n) * t.rows());
    for (uint64_t r = 0; r < t.rows(); ++r) dequantizeRow(t.type, t.data + r * rowBytes, out.data() + r * size_t(n), n);
    return out;
}

std::vector<uint8_t> quantizePlain(const Tensor& t, GgmlType type, const float* importance, ThreadPool& pool) {
    const int64_t n = int64_t(t.shape[0]);
    const uint64_t rowBytes = quantizedRowBytes(type, n), srcRowBytes = t.byteSize / t.rows();
    std::vector<uint8_t> out(rowBytes * t.rows());
    pool.parallelFor(t.rows(), [&](size_t begin, size_t end) {
        std::vector<float> row(static_cast<size_t>(n));
        for (size_t r = begin; r < end; ++r) {
            dequantizeRow(t.type, t.data + r * srcRowBytes, row.data(), n);
            quantizeRow(type, row.data(), out.data() + r * rowBytes, n, importance);
        }
    });
    return out;
}

// The weights a matrix is rounded from: W + W D for every row where the type
// has an element grid, else W as it is.
std::vector<float> aimedWeights(const Tensor& t, GgmlType type, const Correction& c, ThreadPool& pool) {
    std::vector<float> w = toFloat(t);
    if (!canCompensate(type)) return w;
    const size_t n = t.shape[0];
    // A block of rows at a time, so the double sums stay small beside the
    // matrix, yet two 64-row tasks for every thread (the product splits its
    // rows between the threads).
    const size_t rows = t.rows(), block = std::max<size_t>(256, 128 * pool.size());
    std::vector<double> sum;
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        const size_t count = std::min(block, rows - r0);
        sum.assign(count * n, 0.0);
        addProduct(MatrixView<float>{&w[r0 * n], n, 1}, c.d.data(), n, count, n, n, sum.data(), n, pool);
        for (size_t i = 0; i < count * n; ++i) w[r0 * n + i] = float(w[r0 * n + i] + sum[i]);
    }
    return w;
}

std::vector<uint8_t> quantizeCompensated(const Tensor& t, GgmlType type, const Correction& c, ThreadPool& pool) {
    const std::vector<float> aimed = aimedWeights(t, type, c, pool);
    std::vector<uint8_t> out(quantizedRowBytes(type, int64_t(t.shape[0])) * t.rows());
    quantizeScaled(type, aimed.data(), t.rows(), c.stats, {}, out.data(), pool);
    return out;
}

// One chunk of the calibration text and its hidden states in both models,
// with the source model's inputs of each site of the current layer.
struct Chunk {
    std::vector<int32_t> tokens;
    std::vector<float> x, y;
    std::array<std::vector<float>, kSites> sourceInputs;
    std::vector<float> sourceOutputInput;
};

class Sequencer {
public:
    Sequencer(const gguf::GgufFile& source, const ModelConfig& config, const SequentialOptions& options,
              ThreadPool& pool)
        : source_(source), config_(config), options_(options), pool_(pool),
          original_(ModelWeights::bind(source, config)), current_(ModelWeights::bind(source, config)) {
        for (const gguf::TensorInfo& t : source.tensors()) own_.insert(&t);
        auto tokenizer = Tokenizer::fromGguf(source);
        const std::vector<int32_t> tokens = tokenizer->encode(options.text, false, false);
        if (tokens.size() < 8) throw Error(ErrorKind::InvalidArgument, "the calibration text is too short");
        const int32_t bos = tokenizer->bos();
        chunkTokens_ = std::min<int>(options.chunkTokens, int(std::min<uint32_t>(config.trainedContext, 4096)));
        // The chunks ImportanceMatrix::calibrate runs, so both methods see the same text.
        for (size_t start = 0; start < tokens.size(); start += size_t(chunkTokens_ - 1)) {
            const size_t room = size_t(chunkTokens_) - (bos >= 0 ? 1 : 0);
            const size_t take = std::min(tokens.size() - start, room);
            Chunk c;
            c.tokens.assign(tokens.begin() + start, tokens.begin() + start + take);
            if (bos >= 0) c.tokens.insert(c.tokens.begin(), bos);
            result_.tokens += int(c.tokens.size());
            chunks_.push_back(std::move(c));
        }
        if (options.sampledTokens <= 0) return;
        auto sampling = [&](float f) { return !options.progress || options.progress(f * kSamplingShare); };
        for (std::vector<int32_t>& sequence : sampleSequences(config, original_, *tokenizer, bos >= 0 ? bos : tokens.front(),
                                                              options.sampledTokens, chunkTokens_, pool, sampling)) {
            Chunk c;
            c.tokens = std::move(sequence);
            result_.tokens += int(c.tokens.size());
            result_.sampledTokens += int(c.tokens.size());
            chunks_.push_back(std::move(c));
        }
    }

    SequentialResult run() {
        // The app's own kernels: the statistics are of what it will compute.
        const cpu::KernelTable* kernels = &cpu::kernelTable(cpu::preferredIsa());
        CpuTransformer sourceModel(config_, original_, chunkTokens_, pool_, kernels);
        CpuTransformer quantizedModel(config_, current_, chunkTokens_, pool_, kernels);
        steps_ = 4 * int(config_.nLayer) + 2;
        quantizeEmbedding(sourceModel);
        step();
        for (Chunk& c : chunks_) {
            c.x.resize(c.tokens.size() * config_.nEmbd);
            c.y.resize(c.x.size());
            sourceModel.embed(c.tokens, c.x.data());
            quantizedModel.embed(c.tokens, c.y.data());
        }
        for (uint32_t l = 0; l < config_.nLayer; ++l) {
            // The source inputs of every site of this layer, then the source states advance.
            const LayerWeights& S = original_.layers[l];
            for (Chunk& c : chunks_) {
                sourceModel.setActivationObserver([&](const Tensor& w, const float* in, int batch) {
                    for (int site = 0; site < kSites; ++site)
                        if (&w == slotsAt(S, site)[0]) c.sourceInputs[site].assign(in, in + size_t(batch) * w.shape[0]);
                });
                sourceModel.runLayer(l, c.x.data(), int(c.tokens.size()), 0);
            }
            for (int site = 0; site < kSites; ++site) {
                quantizeSite(quantizedModel, l, site);
                step();
            }
            quantizedModel.setActivationObserver(nullptr);
            for (Chunk& c : chunks_) quantizedModel.runLayer(l, c.y.data(), int(c.tokens.size()), 0);
        }
        quantizeOutput(sourceModel, quantizedModel);
        step();
        return std::move(result_);
    }

private:
    const Tensor* fileOf(const Tensor* slot) const { return own_.count(slot) ? slot : source_.findTensor(slot->name); }

    bool wanted(const Tensor* file) const {
        return file && options_.typeFor(*file) != file->type && !result_.tensors.count(std::string(file->name));
    }

    // Reports progress; a cancel is noticed here, after every matrix.
    void step(int advance = 1) {
        done_ += advance;
        const float start = options_.sampledTokens > 0 ? kSamplingShare : 0.0f;
        if (options_.progress && !options_.progress(start + (1.0f - start) * float(done_) / float(steps_)))
            throw Error(ErrorKind::Cancelled, "quantization was cancelled");
    }

    // Points every use of file in the model quantized so far at its new
    // bytes; a row range of a fused file becomes the same rows of them.
    void install(const Tensor* file, std::vector<uint8_t> bytes) {
        const GgmlType type = options_.typeFor(*file);
        const std::vector<uint8_t>& stored = result_.tensors[std::string(file->name)] = std::move(bytes);
        const uint64_t srcRowBytes = file->byteSize / file->rows();
        const uint64_t rowBytes = quantizedRowBytes(type, int64_t(file->shape[0]));
        auto swap = [&](const Tensor* from, const Tensor*& to) {
            if (!from || from->name != file->name || from->data < file->data || from->data >= file->data + file->byteSize)
                return;
            auto t = std::make_unique<Tensor>(*from);
            const uint64_t firstRow = uint64_t(from->data - file->data) / srcRowBytes;
            t->type = type;
            t->data = stored.data() + firstRow * rowBytes;
            t->byteSize = from->rows() * rowBytes;
            to = t.get();
            replacements_.push_back(std::move(t));
        };
        swap(original_.tokenEmbedding, current_.tokenEmbedding);
        swap(original_.output, current_.output);
        for (size_t l = 0; l < original_.layers.size(); ++l) {
            const LayerWeights& o = original_.layers[l];
            LayerWeights& c = current_.layers[l];
            swap(o.wq, c.wq);
            swap(o.wk, c.wk);
            swap(o.wv, c.wv);
            swap(o.wo, c.wo);
            swap(o.gate, c.gate);
            swap(o.up, c.up);
            swap(o.down, c.down);
        }
    }

    // The embedding is read before any layer, so it is quantized first. Tied
    // to the output matrix, it is compensated on the source model's final
    // states (the later layers' errors are not known yet); otherwise no
    // product reads it and it is rounded plainly. Any other matrix outside
    // the layers' groups is rounded plainly here too.
    void quantizeEmbedding(CpuTransformer& sourceModel) {
        const Tensor* embedding = original_.tokenEmbedding;
        if (wanted(embedding) && original_.output == embedding) {
            Moments m(embedding->shape[0]);
            std::vector<float> logits;
            sourceModel.setActivationObserver([&](const Tensor& w, const float* in, int batch) {
                if (&w == embedding) m.add(in, in, batch, pool_);
            });
            for (const Chunk& c : chunks_) sourceModel.forward(c.tokens, 0, true, logits);
            sourceModel.setActivationObserver(nullptr);
            m.average();
            const Correction c = correctionOf(std::move(m), options_.damping, false, pool_);
            install(embedding, quantizeCompensated(*embedding, options_.typeFor(*embedding), c, pool_));
        }
        std::set<const Tensor*> grouped{original_.output};
        for (const LayerWeights& L : original_.layers)
            for (int site = 0; site < kSites; ++site)
                for (const Tensor* slot : slotsAt(L, site))
                    if (slot) grouped.insert(fileOf(slot));
        for (const Tensor* t : own_)
            if (t->shape.size() >= 2 && !grouped.count(t) && wanted(t))
                install(t, quantizePlain(*t, options_.typeFor(*t), nullptr, pool_));
    }

    void quantizeSite(CpuTransformer& quantizedModel, uint32_t l, int site) {
        std::vector<const Tensor*> files;
        for (const Tensor* slot : slotsAt(original_.layers[l], site))
            if (slot && wanted(fileOf(slot)) && std::find(files.begin(), files.end(), fileOf(slot)) == files.end())
                files.push_back(fileOf(slot));
        if (files.empty()) return;
        // The model quantized so far is run on a copy of each chunk's states,
        // which advance only once the whole layer is quantized.
        const LayerWeights& Q = current_.layers[l];
        const Tensor* first = slotsAt(original_.layers[l], site)[0];
        Moments m(first->shape[0]);
        std::vector<float> states;
        for (Chunk& c : chunks_) {
            quantizedModel.setActivationObserver([&](const Tensor& w, const float* in, int batch) {
                if (&w != slotsAt(Q, site)[0]) return;
                m.add(c.sourceInputs[site].data(), in, batch, pool_);
                throw SiteReached{};
            });
            states = c.y;
            try {
                quantizedModel.runLayer(l, states.data(), int(c.tokens.size()), 0);
            } catch (const SiteReached&) {
            }
        }
        quantizedModel.setActivationObserver(nullptr);
        m.average();
        const Tensor* norm = foldableNorm(l, site);
        const Correction c = correctionOf(std::move(m), options_.damping, norm != nullptr, pool_);
        std::vector<std::vector<float>> aimed;
        for (const Tensor* file : files) aimed.push_back(aimedWeights(*file, options_.typeFor(*file), c, pool_));
        const std::vector<float> scales = norm ? searchChannelScales(sampleRows(l, site, files, aimed), c.stats, pool_)
                                               : std::vector<float>{};
        for (size_t i = 0; i < files.size(); ++i) {
            const GgmlType type = options_.typeFor(*files[i]);
            std::vector<uint8_t> bytes(quantizedRowBytes(type, c.stats.k) * files[i]->rows());
            quantizeScaled(type, aimed[i].data(), files[i]->rows(), c.stats, scales, bytes.data(), pool_);
            aimed[i] = {};
            install(files[i], std::move(bytes));
            step(0);
        }
        if (!scales.empty()) foldIntoNorm(quantizedModel, l, site, *norm, scales);
    }

    // The norm whose output is the site's input, where the scales of the
    // site's inputs can be folded into it: the norms before attention and
    // before the FFN feed only their group, and every matrix of the group
    // must be rewritten anyway (one left in its type could not be scaled).
    const Tensor* foldableNorm(uint32_t l, int site) const {
        const LayerWeights& L = original_.layers[l];
        const Tensor* norm = site == kQkv ? L.attnNorm : site == kGateUp ? L.ffnNorm : nullptr;
        if (!options_.channelScales || !norm || !canQuantize(norm->type)) return nullptr;
        for (const Tensor* slot : slotsAt(L, site))
            if (slot && !wanted(fileOf(slot))) return nullptr;
        return norm;
    }

    // Evenly spaced rows of each matrix of the site, about kScaleSearchRows
    // in all, shared out by the matrices' row counts (at least a few of
    // each); a fused file's matrices are sampled as the unfused ones would be.
    std::vector<SampledRows> sampleRows(uint32_t l, int site, const std::vector<const Tensor*>& files,
                                        const std::vector<std::vector<float>>& aimed) const {
        const auto slots = slotsAt(original_.layers[l], site);
        uint64_t total = 0;
        for (const Tensor* slot : slots)
            if (slot) total += slot->rows();
        std::vector<SampledRows> samples;
        for (const Tensor* slot : slots) {
            if (!slot) continue;
            const Tensor* file = fileOf(slot);
            const std::vector<float>& weights = aimed[size_t(std::find(files.begin(), files.end(), file) - files.begin())];
            const size_t k = file->shape[0], rows = slot->rows();
            const size_t first = size_t(slot->data - file->data) / size_t(file->byteSize / file->rows());
            const size_t count = std::min(rows, std::max<size_t>(8, kScaleSearchRows * rows / total));
            SampledRows s{options_.typeFor(*file), {}};
            s.weights.reserve(count * k);
            for (size_t r = 0; r < count; ++r) {
                const float* row = &weights[(first + r * rows / count) * k];
                s.weights.insert(s.weights.end(), row, row + k);
            }
            samples.push_back(std::move(s));
        }
        return samples;
    }

    // The norm's weights divided by the scales, in the file and in the model
    // quantized so far (whose later sites then see the scaled inputs).
    void foldIntoNorm(CpuTransformer& quantizedModel, uint32_t l, int site, const Tensor& norm,
                      const std::vector<float>& scales) {
        std::vector<float> values = tensorToFloat(norm);
        for (size_t j = 0; j < values.size(); ++j) values[j] /= scales[j];
        std::vector<uint8_t>& stored = result_.tensors[std::string(norm.name)];
        stored.resize(quantizedRowBytes(norm.type, int64_t(values.size())));
        quantizeRow(norm.type, values.data(), stored.data(), int64_t(values.size()));
        auto t = std::make_unique<Tensor>(norm);
        t->data = stored.data();
        LayerWeights& L = current_.layers[l];
        (site == kQkv ? L.attnNorm : L.ffnNorm) = t.get();
        replacements_.push_back(std::move(t));
        quantizedModel.reloadNorms(l);
        ++result_.scaledNorms;
    }

    void quantizeOutput(CpuTransformer& sourceModel, CpuTransformer& quantizedModel) {
        const Tensor* output = original_.output;
        if (!wanted(output)) return;
        Moments m(output->shape[0]);
        std::vector<float> sourceInput, logits;
        for (const Chunk& c : chunks_) {
            const int batch = int(c.tokens.size());
            sourceModel.setActivationObserver([&](const Tensor& w, const float* in, int rows) {
                if (&w == output) sourceInput.assign(in, in + size_t(rows) * w.shape[0]);
            });
            sourceModel.finish(c.x.data(), batch, true, logits);
            quantizedModel.setActivationObserver([&](const Tensor& w, const float* in, int rows) {
                if (&w == current_.output) m.add(sourceInput.data(), in, rows, pool_);
            });
            quantizedModel.finish(c.y.data(), batch, true, logits);
        }
        sourceModel.setActivationObserver(nullptr);
        quantizedModel.setActivationObserver(nullptr);
        m.average();
        const Correction c = correctionOf(std::move(m), options_.damping, false, pool_);
        install(output, quantizeCompensated(*output, options_.typeFor(*output), c, pool_));
    }

    const gguf::GgufFile& source_;
    const ModelConfig& config_;
    const SequentialOptions& options_;
    ThreadPool& pool_;
    const ModelWeights original_;
    // The model quantized so far: the source's tensors, each pointed at its
    // quantized bytes (replacements_) once it has them.
    ModelWeights current_;
    std::vector<std::unique_ptr<Tensor>> replacements_;
    std::set<const Tensor*> own_;  // the file's tensors (row ranges of fused ones are not)
    int chunkTokens_ = 0;
    std::vector<Chunk> chunks_;
    SequentialResult result_;
    int steps_ = 1, done_ = 0;
};

}  // namespace

SequentialResult quantizeSequentially(const gguf::GgufFile& source, const ModelConfig& config,
                                      const SequentialOptions& options, ThreadPool& pool) {
    return Sequencer(source, config, options, pool).run();
}

uint64_t sequentialStatisticsBytes(const gguf::GgufFile& source, bool channelScales) {
    // A, B, the factor, A^-1 and D of the widest input at once (the factor's
    // own work space included): each K x K doubles. The channel scale search
    // keeps a sixth, a copy of A, but only at the inputs a norm feeds, which
    // are as wide as the embedding.
    uint64_t widest = 0;
    for (const gguf::TensorInfo& t : source.tensors())
        if (t.shape.size() >= 2 && t.name != "token_embd.weight") widest = std::max(widest, t.shape[0]);
    const gguf::TensorInfo* embedding = source.findTensor("token_embd.weight");
    const uint64_t embeddingWidth = embedding ? embedding->shape[0] : 0;
    if (!source.findTensor("output.weight")) widest = std::max(widest, embeddingWidth);
    const uint64_t scaled = channelScales ? embeddingWidth : 0;
    return sizeof(double) * std::max(5 * widest * widest, 6 * scaled * scaled);
}

}  // namespace nibble::quant
