#include "cpu/cpu_transformer.h"

#include "cpu/cpu_ops.h"
#include "model/tensor_values.h"
#include "nibble/error.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nibble {
namespace {

// Fewer tokens than this do their per-token work on the calling thread:
// handing it out costs a meeting of the threads.
constexpr int kParallelTokens = 8;

}  // namespace

CpuTransformer::CpuTransformer(const ModelConfig& config, const ModelWeights& weights, int contextLength,
                               ThreadPool& pool, const cpu::KernelTable* kernels, KvCacheType kvCache)
    : c_(config), w_(weights), plan_(planLayers(config)), pool_(pool), context_(contextLength) {
    if (kernels) fast_.emplace(*kernels);
    if (contextLength <= 0) throw Error(ErrorKind::InvalidArgument, "the context length must be positive");
    halfCache_ = kernels && kvCache == KvCacheType::F16;
    cacheBytes_ = halfCache_ ? sizeof(uint16_t) : sizeof(float);
    const size_t kvRow = size_t(c_.nHeadKv) * c_.headDimK, vRow = size_t(c_.nHeadKv) * c_.headDimV;
    const auto slots = [&](size_t elements) { return (elements * cacheBytes_ + sizeof(float) - 1) / sizeof(float); };
    kCache_ = LazyFloats(slots(size_t(c_.nLayer) * context_ * kvRow));
    vCache_ = LazyFloats(slots(size_t(c_.nLayer) * context_ * vRow));
    outputNorm_ = tensorToFloat(*w_.outputNorm);
    if (const Tensor* factors = w_.ropeFactors(c_, contextLength)) ropeFreqs_ = tensorToFloat(*factors);
    for (const LayerWeights& L : w_.layers) norms_.push_back(normsOf(L));
}

CpuTransformer::LayerNorms CpuTransformer::normsOf(const LayerWeights& L) {
    LayerNorms n;
    n.attn = tensorToFloat(*L.attnNorm);
    n.ffn = tensorToFloat(*L.ffnNorm);
    if (L.qNorm) n.q = tensorToFloat(*L.qNorm);
    if (L.kNorm) n.k = tensorToFloat(*L.kNorm);
    if (L.postAttnNorm) n.postAttn = tensorToFloat(*L.postAttnNorm);
    if (L.postFfnNorm) n.postFfn = tensorToFloat(*L.postFfnNorm);
    if (L.bq) n.bq = tensorToFloat(*L.bq);
    if (L.bk) n.bk = tensorToFloat(*L.bk);
    if (L.bv) n.bv = tensorToFloat(*L.bv);
    return n;
}

void CpuTransformer::reloadNorms(uint32_t layer) { norms_.at(layer) = normsOf(w_.layers.at(layer)); }

void CpuTransformer::mul(const Tensor& w, const float* x, int batch, float* y) {
    if (observer_) observer_(w, x, batch);
    // Refined inputs for every matrix: 8-bit inputs alone flip the top token
    // at a few positions in a hundred on small models, and their error comes
    // from every kind of matrix alike (issue #16). Kernels that take both
    // rows of a refined input at once (cpu/kernel_table.h) hold the cost
    // against 8-bit inputs alone to about a fifth of prompt speed and at most
    // an eighth of decode speed; decoding reads each weight once either way.
    if (fast_) fast_->multiply(pool_, w, x, batch, y, cpu::InputPrecision::Refined);
    else cpu::matmul(pool_, w, x, batch, y);
}

void CpuTransformer::mulGroup(std::initializer_list<const Tensor*> ws, const float* x, int batch,
                              std::initializer_list<float*> ys) {
    if (!fast_) {
        auto y = ys.begin();
        for (const Tensor* w : ws) mul(*w, x, batch, *y++);
        return;
    }
    if (observer_)
        for (const Tensor* w : ws) observer_(*w, x, batch);
    fast_->multiplyGroup(pool_, std::span(ws.begin(), ws.size()), x, batch, std::span(ys.begin(), ys.size()),
                         cpu::InputPrecision::Refined);
}

uint64_t CpuTransformer::sessionBytes(const ModelConfig& c, int contextLength) {
    // A prompt runs in chunks of up to 64 tokens; evaluate() keeps every chunk's logits.
    const uint64_t chunk = 64;
    const uint64_t cache = uint64_t(c.nLayer) * uint64_t(contextLength) * c.nHeadKv * (c.headDimK + c.headDimV);
    const uint64_t activations = chunk * (4 * uint64_t(c.nEmbd) + 2 * uint64_t(c.nHead) * std::max(c.headDimK, c.headDimV) +
                                          2 * uint64_t(c.nFf) + c.nVocab);
    return (cache + activations) * sizeof(float);
}

std::string CpuTransformer::describe(const cpu::KernelTable* kernels, unsigned threads, KvCacheType kvCache) {
    const std::string count = std::to_string(threads) + (threads == 1 ? " thread" : " threads");
    if (!kernels) return "CPU reference, " + count;
    std::string set;
    switch (kernels->isa) {
    case cpu::Isa::Portable: set = "portable"; break;
    case cpu::Isa::Avx2: set = "AVX2"; break;
    case cpu::Isa::Avx512Vnni: set = "AVX-512"; break;
    case cpu::Isa::Avx512Amx: set = "AVX-512 and AMX"; break;
    case cpu::Isa::NeonDot: set = "NEON"; break;
    }
    return "CPU, " + set + " kernels, " + count + (kvCache == KvCacheType::F16 ? ", F16 KV cache" : "");
}

std::string CpuTransformer::description() const {
    return describe(fast_ ? &fast_->kernels() : nullptr, pool_.size(),
                    halfCache_ ? KvCacheType::F16 : KvCacheType::F32);
}

void CpuTransformer::rotate(float* head, const RopePlan& rope, int pos, const float* freqFactors) {
    cpu::rope(head, int(rope.dims), pos, rope.base, rope.freqScale, rope.neox, freqFactors);
    // ggml scales cos and sin by the factor; scaling their rotation after is the same to rounding.
    if (rope.attnFactor != 1.0f)
        for (uint32_t i = 0; i < rope.dims; ++i) head[i] *= rope.attnFactor;
}

float CpuTransformer::scaleScore(const LayerPlan& P, float s) {
    s *= P.attentionScale;
    if (P.attnSoftcap > 0) s = P.attnSoftcap * std::tanh(s / P.attnSoftcap);
    return s;
}

void CpuTransformer::attendFast(const LayerPlan& P, const float* q, const uint8_t* kLayer, const uint8_t* vLayer,
                                int startPos, int batch, float* attn) {
    const int H = int(c_.nHead), Hkv = int(c_.nHeadKv), Dk = int(c_.headDimK), Dv = int(c_.headDimV);
    const int qDim = H * Dk, kDim = Hkv * Dk, oDim = H * Dv, groups = H / Hkv;
    // Scores and weighted sums are products of float matrices, so the float
    // weight kernels compute them: the keys are a matrix of cached rows, the
    // transposed values (their cache layout) one of rows over positions, and
    // the query heads that share a key-value head are the inputs of one tile,
    // so each cached row is read once for all of them. An F16 cache is a
    // matrix of F16 weights to them.
    const GgmlType element = halfCache_ ? GgmlType::F16 : GgmlType::F32;
    const cpu::DotTileFn dot = fast_->kernels().weights[static_cast<int>(element)].dot;
    const size_t kStride = size_t(kDim) * cacheBytes_, vStride = size_t(context_) * cacheBytes_;
    pool_.parallelFor(size_t(batch) * Hkv, [&](size_t begin, size_t end) {
        std::vector<float> scores(size_t(groups) * size_t(startPos + batch));
        for (size_t job = begin; job < end; ++job) {
            const int b = int(job / Hkv), kvh = int(job % Hkv);
            const int pos = startPos + b;
            const int first = P.window > 0 ? std::max(0, pos - int(P.window) + 1) : 0;
            const int n = pos - first + 1;
            const uint8_t* keys = kLayer + (size_t(first) * kDim + size_t(kvh) * Dk) * cacheBytes_;
            const uint8_t* values = vLayer + (size_t(kvh) * Dv * context_ + first) * cacheBytes_;
            const float* qHeads = q + size_t(b) * qDim + size_t(kvh) * groups * Dk;
            float* out = attn + size_t(b) * oDim + size_t(kvh) * groups * Dv;
            for (int g = 0; g < groups; g += cpu::kMaxTileCols) {
                const int cols = std::min(cpu::kMaxTileCols, groups - g);
                const auto* x = reinterpret_cast<const uint8_t*>(qHeads + size_t(g) * Dk);
                for (int t = 0; t < n; t += cpu::kMaxTileRows)
                    dot(Dk, keys + size_t(t) * kStride, kStride, std::min(cpu::kMaxTileRows, n - t), x,
                        size_t(Dk) * sizeof(float), cols, &scores[size_t(g) * n + t], size_t(n));
            }
            for (int g = 0; g < groups; ++g) {
                float* s = &scores[size_t(g) * n];
                for (int t = 0; t < n; ++t) s[t] = scaleScore(P, s[t]);
                cpu::softmax(s, n);
                // A weight below the smallest normal float is a denormal, and
                // each multiply-add that takes one waits on a microcode assist
                // (on x86, a hundred-odd cycles): peaked attention made the
                // weighted sum of values a fifth of a 1B prompt's time. The
                // largest weight is at least 1/n, so one below 1.2e-38 is far
                // under a float sum's rounding.
                for (int t = 0; t < n; ++t)
                    if (s[t] < std::numeric_limits<float>::min()) s[t] = 0.0f;
            }
            for (int g = 0; g < groups; g += cpu::kMaxTileCols) {
                const int cols = std::min(cpu::kMaxTileCols, groups - g);
                const auto* p = reinterpret_cast<const uint8_t*>(&scores[size_t(g) * n]);
                for (int i = 0; i < Dv; i += cpu::kMaxTileRows)
                    dot(n, values + size_t(i) * vStride, vStride, std::min(cpu::kMaxTileRows, Dv - i), p,
                        size_t(n) * sizeof(float), cols, out + size_t(g) * Dv + i, size_t(Dv));
            }
        }
    });
}

void CpuTransformer::checkRoom(int startPos, int batch) const {
    if (startPos < 0 || startPos + batch > context_)
        throw Error(ErrorKind::ContextFull, "the conversation needs " + std::to_string(startPos + batch) +
                                                " tokens but the context holds " + std::to_string(context_));
}

void CpuTransformer::forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) {
    const int batch = static_cast<int>(tokens.size());
    if (batch == 0) return;
    checkRoom(startPos, batch);
    std::vector<float> x(size_t(batch) * c_.nEmbd);
    embed(tokens, x.data());
    // A cancel is noticed within a layer: a prompt chunk of a large model can
    // take seconds, and a queued request waits on it.
    for (uint32_t l = 0; l < c_.nLayer; ++l) {
        throwIfCancelled();
        runLayer(l, x.data(), batch, startPos);
    }
    throwIfCancelled();
    finish(x.data(), batch, allLogits, logits);
}

void CpuTransformer::embed(std::span<const int32_t> tokens, float* x) const {
    const int E = int(c_.nEmbd);
    for (size_t b = 0; b < tokens.size(); ++b) {
        if (tokens[b] < 0 || uint32_t(tokens[b]) >= c_.nVocab)
            throw Error(ErrorKind::InvalidArgument, "token id " + std::to_string(tokens[b]) + " is outside the vocabulary");
        tensorRow(*w_.tokenEmbedding, uint64_t(tokens[b]), &x[b * E]);
        if (c_.embeddingScale != 1.0f)
            for (int i = 0; i < E; ++i) x[b * E + i] *= c_.embeddingScale;
    }
}

void CpuTransformer::runLayer(uint32_t l, float* x, int batch, int startPos) {
    checkRoom(startPos, batch);
    const int E = int(c_.nEmbd), H = int(c_.nHead), Hkv = int(c_.nHeadKv), Dk = int(c_.headDimK),
              Dv = int(c_.headDimV), F = int(c_.nFf);
    const int qDim = H * Dk, kDim = Hkv * Dk, vDim = Hkv * Dv, oDim = H * Dv;
    std::vector<float> &xn = xn_, &q = q_, &k = k_, &v = v_, &attn = attn_, &proj = proj_, &gate = gate_, &up = up_;
    xn.resize(size_t(batch) * E);
    q.resize(size_t(batch) * qDim);
    k.resize(size_t(batch) * kDim);
    v.resize(size_t(batch) * vDim);
    attn.resize(size_t(batch) * oDim);
    proj.resize(size_t(batch) * E);
    gate.resize(size_t(batch) * F);
    up.resize(size_t(batch) * F);
    const float* factors = ropeFreqs_.empty() ? nullptr : ropeFreqs_.data();
    const LayerWeights& L = w_.layers[l];
    const LayerNorms& N = norms_[l];
    const LayerPlan& P = plan_[l];

    // The per-token work between the products (norms, rotations, cache
    // writes, residuals) is split between the threads for a prompt: once the
    // products ran on the tile unit, done by one thread it kept the others
    // waiting for several per cent of a prompt's time.
    const auto forEachToken = [&](auto&& body) {
        if (batch < kParallelTokens) {
            for (int b = 0; b < batch; ++b) body(b);
            return;
        }
        pool_.parallelFor(size_t(batch), [&](size_t begin, size_t end) {
            for (size_t b = begin; b < end; ++b) body(int(b));
        });
    };

    forEachToken([&](int b) { cpu::rmsNorm(&x[size_t(b) * E], N.attn.data(), &xn[size_t(b) * E], E, c_.rmsEps); });
    mulGroup({L.wq, L.wk, L.wv}, xn.data(), batch, {q.data(), k.data(), v.data()});

    uint8_t* kBytes = reinterpret_cast<uint8_t*>(kCache_.data()) + size_t(l) * context_ * kDim * cacheBytes_;
    uint8_t* vBytes = reinterpret_cast<uint8_t*>(vCache_.data()) + size_t(l) * context_ * vDim * cacheBytes_;
    // The reference path's view (its cache is always f32).
    const float* kLayer = reinterpret_cast<const float*>(kBytes);
    const float* vLayer = reinterpret_cast<const float*>(vBytes);
    forEachToken([&](int b) {
        const int pos = startPos + b;
        float* qb = &q[size_t(b) * qDim];
        float* kb = &k[size_t(b) * kDim];
        float* vb = &v[size_t(b) * vDim];
        if (P.qkvBias) {
            for (int i = 0; i < qDim; ++i) qb[i] += N.bq[i];
            for (int i = 0; i < kDim; ++i) kb[i] += N.bk[i];
            for (int i = 0; i < vDim; ++i) vb[i] += N.bv[i];
        }
        for (int h = 0; h < H; ++h) {
            float* head = qb + h * Dk;
            if (P.qkNorm) cpu::rmsNorm(head, N.q.data(), head, Dk, c_.rmsEps);
            rotate(head, P.rope, pos, factors);
        }
        for (int h = 0; h < Hkv; ++h) {
            float* head = kb + h * Dk;
            if (P.qkNorm) cpu::rmsNorm(head, N.k.data(), head, Dk, c_.rmsEps);
            rotate(head, P.rope, pos, factors);
        }
        if (halfCache_) {
            auto* kHalves = reinterpret_cast<uint16_t*>(kBytes) + size_t(pos) * kDim;
            auto* vHalves = reinterpret_cast<uint16_t*>(vBytes);
            for (int i = 0; i < kDim; ++i) kHalves[i] = floatToHalf(kb[i]);
            for (int i = 0; i < vDim; ++i) vHalves[size_t(i) * context_ + pos] = floatToHalf(vb[i]);
        } else {
            auto* kFloats = reinterpret_cast<float*>(kBytes);
            auto* vFloats = reinterpret_cast<float*>(vBytes);
            std::copy(kb, kb + kDim, kFloats + size_t(pos) * kDim);
            for (int i = 0; i < vDim; ++i) vFloats[size_t(i) * context_ + pos] = vb[i];
        }
    });

    const int groups = H / Hkv;
    if (fast_) attendFast(P, q.data(), kBytes, vBytes, startPos, batch, attn.data());
    else
        pool_.parallelFor(size_t(batch) * H, [&](size_t begin, size_t end) {
            std::vector<float> scores(size_t(startPos + batch));
            for (size_t job = begin; job < end; ++job) {
                const int b = int(job / H), h = int(job % H), kvh = h / groups;
                const int pos = startPos + b;
                const int first = P.window > 0 ? std::max(0, pos - int(P.window) + 1) : 0;
                const float* qh = &q[size_t(b) * qDim + size_t(h) * Dk];
                const int n = pos - first + 1;
                for (int t = 0; t < n; ++t) {
                    const float* kt = kLayer + size_t(first + t) * kDim + size_t(kvh) * Dk;
                    float s = 0;
#pragma omp simd reduction(+ : s)
                    for (int i = 0; i < Dk; ++i) s += qh[i] * kt[i];
                    scores[t] = scaleScore(P, s);
                }
                cpu::softmax(scores.data(), n);
                float* out = &attn[size_t(b) * oDim + size_t(h) * Dv];
                std::fill(out, out + Dv, 0.0f);
                const float* vHead = vLayer + size_t(kvh) * Dv * context_ + first;
                for (int t = 0; t < n; ++t) {
                    const float p = scores[t];
                    for (int i = 0; i < Dv; ++i) out[i] += p * vHead[size_t(i) * context_ + t];
                }
            }
        });

    mul(*L.wo, attn.data(), batch, proj.data());
    forEachToken([&](int b) {
        float* pb = &proj[size_t(b) * E];
        if (P.postNorms) cpu::rmsNorm(pb, N.postAttn.data(), pb, E, c_.rmsEps);
        float* xb = &x[size_t(b) * E];
        for (int i = 0; i < E; ++i) xb[i] += pb[i];
        cpu::rmsNorm(xb, N.ffn.data(), &xn[size_t(b) * E], E, c_.rmsEps);
    });

    throwIfCancelled();
    mulGroup({L.gate, L.up}, xn.data(), batch, {gate.data(), up.data()});
    // The activation's exp or tanh per element is a few per cent of a
    // prompt; split between the threads, it does not leave one idle.
    // The fast path's gates approximate exp to a few roundings; the
    // reference keeps libm's.
    const cpu::GatedActivationFn fastGate =
        !fast_ ? nullptr
               : P.activation == Activation::SiLU ? fast_->kernels().siluGate : fast_->kernels().geluGate;
    const auto activate = [&](size_t begin, size_t end) {
        if (fastGate) {
            fastGate(gate.data() + begin, up.data() + begin, end - begin);
            return;
        }
        for (size_t i = begin; i < end; ++i) {
            const float g = P.activation == Activation::SiLU ? cpu::silu(gate[i]) : cpu::geluTanh(gate[i]);
            gate[i] = g * up[i];
        }
    };
    constexpr size_t kActivationChunk = 4096;
    const size_t chunks = gate.size() / kActivationChunk;
    if (chunks >= 4)
        pool_.parallelFor(chunks, [&](size_t begin, size_t end) {
            activate(begin * kActivationChunk, end == chunks ? gate.size() : end * kActivationChunk);
        });
    else activate(0, gate.size());
    mul(*L.down, gate.data(), batch, proj.data());
    forEachToken([&](int b) {
        float* pb = &proj[size_t(b) * E];
        if (P.postNorms) cpu::rmsNorm(pb, N.postFfn.data(), pb, E, c_.rmsEps);
        float* xb = &x[size_t(b) * E];
        for (int i = 0; i < E; ++i) xb[i] += pb[i];
    });
}

void CpuTransformer::finish(const float* x, int batch, bool allLogits, std::vector<float>& logits) {
    const int E = int(c_.nEmbd);
    std::vector<float>& xn = xn_;
    xn.resize(size_t(batch) * E);
    const int first = allLogits ? 0 : batch - 1;
    const int rows = batch - first;
    for (int b = first; b < batch; ++b)
        cpu::rmsNorm(&x[size_t(b) * E], outputNorm_.data(), &xn[size_t(b - first) * E], E, c_.rmsEps);
    logits.resize(size_t(rows) * c_.nVocab);
    mul(*w_.output, xn.data(), rows, logits.data());
    if (c_.finalSoftcap > 0)
        for (float& value : logits) value = c_.finalSoftcap * std::tanh(value / c_.finalSoftcap);
}

}  // namespace nibble
