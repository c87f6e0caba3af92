#include "model/model_weights.h"

#include "model/tensor_values.h"
#include "nibble/error.h"
#include "tensor/row_blocks.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace nibble {
namespace {

class Binder {
public:
    Binder(const gguf::GgufFile& file) : file_(file) {}

    const Tensor* get(const std::string& name, std::initializer_list<uint64_t> shape, bool required = true) const {
        const Tensor* t = file_.findTensor(name);
        if (!t) {
            if (required) throw Error(ErrorKind::InvalidFile, file_.displayName() + ": tensor " + name + " is missing");
            return nullptr;
        }
        std::vector<uint64_t> want(shape);
        std::vector<uint64_t> have = t->shape;
        while (have.size() > want.size() && have.back() == 1) have.pop_back();
        if (have != want) {
            std::string w, h;
            for (auto d : want) w += (w.empty() ? "" : " x ") + std::to_string(d);
            for (auto d : t->shape) h += (h.empty() ? "" : " x ") + std::to_string(d);
            throw Error(ErrorKind::InvalidFile, file_.displayName() + ": tensor " + name + " has shape " + h + ", expected " + w);
        }
        if (!isSupportedWeightType(t->type))
            throw Error(ErrorKind::Unsupported, file_.displayName() + ": tensor " + name + " uses the " +
                                                    std::string(typeName(t->type)) + " format, which Nibble cannot run yet");
        return t;
    }

private:
    const gguf::GgufFile& file_;
};

// Rows [first, first + count) of a matrix, as a tensor of its own with the
// fused tensor's name (what error messages and importance statistics show).
std::unique_ptr<Tensor> rowSlice(const Tensor& fused, uint64_t first, uint64_t count) {
    const uint64_t rowBytes = fused.byteSize / fused.rows();
    auto slice = std::make_unique<Tensor>();
    slice->name = fused.name;
    slice->shape = {fused.shape[0], count};
    slice->type = fused.type;
    slice->offset = fused.offset + first * rowBytes;
    slice->byteSize = count * rowBytes;
    slice->data = fused.data + first * rowBytes;
    return slice;
}

// Float matrices up to this many elements are checked whole at load (16 MiB
// as F32: every tensor of a small model, no more than a moment's reading).
constexpr uint64_t kCheckedMatrixElements = uint64_t(1) << 22;

bool isChecked(const Tensor& t) {
    if (t.shape.size() == 1 || t.rows() == 1) return true;
    return blocks::isFloatFormat(t.type) && t.elementCount() <= kCheckedMatrixElements;
}

}  // namespace

std::vector<const Tensor*> ModelWeights::all() const {
    std::vector<const Tensor*> every = {tokenEmbedding, outputNorm, output, ropeFreqs, ropeFactorsShort, ropeFactorsLong};
    for (const LayerWeights& L : layers)
        every.insert(every.end(), {L.attnNorm, L.wq, L.wk, L.wv, L.wo, L.bq, L.bk, L.bv, L.qNorm, L.kNorm,
                                   L.postAttnNorm, L.ffnNorm, L.gate, L.up, L.down, L.postFfnNorm});
    std::vector<const Tensor*> unique;
    std::set<const Tensor*> seen;
    for (const Tensor* t : every)
        if (t && seen.insert(t).second) unique.push_back(t);
    return unique;
}

void ModelWeights::checkNumbers(const gguf::GgufFile& file) const {
    for (const Tensor* t : all()) {
        if (!isChecked(*t)) continue;
        const std::vector<float> values = tensorToFloat(*t);
        if (!std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }))
            throw Error(ErrorKind::InvalidFile, file.displayName() + ": the model file contains invalid numbers in " +
                                                    std::string(t->name));
    }
}

const Tensor* ModelWeights::ropeFactors(const ModelConfig& c, int contextLength) const {
    if (ropeFreqs) return ropeFreqs;
    return uint64_t(contextLength) > c.ropeOriginalContext ? ropeFactorsLong : ropeFactorsShort;
}

ModelWeights ModelWeights::bind(const gguf::GgufFile& file, const ModelConfig& c) {
    Binder b(file);
    ModelWeights w;
    w.tokenEmbedding = b.get("token_embd.weight", {c.nEmbd, c.nVocab});
    w.outputNorm = b.get("output_norm.weight", {c.nEmbd});
    w.output = b.get("output.weight", {c.nEmbd, c.nVocab}, false);
    if (!w.output) w.output = w.tokenEmbedding;
    w.ropeFreqs = b.get("rope_freqs.weight", {c.ropeDims / 2}, false);
    w.ropeFactorsShort = b.get("rope_factors_short.weight", {c.ropeDims / 2}, false);
    w.ropeFactorsLong = b.get("rope_factors_long.weight", {c.ropeDims / 2}, false);
    const uint64_t q = uint64_t(c.nHead) * c.headDimK, k = uint64_t(c.nHeadKv) * c.headDimK,
                   v = uint64_t(c.nHeadKv) * c.headDimV, o = uint64_t(c.nHead) * c.headDimV;
    for (uint32_t l = 0; l < c.nLayer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        LayerWeights L;
        L.attnNorm = b.get(p + "attn_norm.weight", {c.nEmbd});
        if (c.fusedProjections) {
            const Tensor* qkv = b.get(p + "attn_qkv.weight", {c.nEmbd, q + k + v});
            L.wq = w.slices.emplace_back(rowSlice(*qkv, 0, q)).get();
            L.wk = w.slices.emplace_back(rowSlice(*qkv, q, k)).get();
            L.wv = w.slices.emplace_back(rowSlice(*qkv, q + k, v)).get();
        } else {
            L.wq = b.get(p + "attn_q.weight", {c.nEmbd, q});
            L.wk = b.get(p + "attn_k.weight", {c.nEmbd, k});
            L.wv = b.get(p + "attn_v.weight", {c.nEmbd, v});
        }
        L.wo = b.get(p + "attn_output.weight", {o, c.nEmbd});
        if (c.qkvBias) {
            L.bq = b.get(p + "attn_q.bias", {q});
            L.bk = b.get(p + "attn_k.bias", {k});
            L.bv = b.get(p + "attn_v.bias", {v});
        }
        if (c.qkNorm) {
            L.qNorm = b.get(p + "attn_q_norm.weight", {c.headDimK});
            L.kNorm = b.get(p + "attn_k_norm.weight", {c.headDimK});
        }
        if (c.postNorms) {
            L.postAttnNorm = b.get(p + "post_attention_norm.weight", {c.nEmbd});
            L.postFfnNorm = b.get(p + "post_ffw_norm.weight", {c.nEmbd});
        }
        L.ffnNorm = b.get(p + "ffn_norm.weight", {c.nEmbd});
        if (c.fusedProjections) {
            // Gate rows first, then up rows: Hugging Face's gate_up_proj, split in halves.
            const Tensor* gateUp = b.get(p + "ffn_up.weight", {c.nEmbd, 2 * uint64_t(c.nFf)});
            L.gate = w.slices.emplace_back(rowSlice(*gateUp, 0, c.nFf)).get();
            L.up = w.slices.emplace_back(rowSlice(*gateUp, c.nFf, c.nFf)).get();
        } else {
            L.gate = b.get(p + "ffn_gate.weight", {c.nEmbd, c.nFf});
            L.up = b.get(p + "ffn_up.weight", {c.nEmbd, c.nFf});
        }
        L.down = b.get(p + "ffn_down.weight", {c.nFf, c.nEmbd});
        w.layers.push_back(L);
    }
    return w;
}

}  // namespace nibble
