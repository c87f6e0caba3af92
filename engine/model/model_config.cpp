#include "model/model_config.h"

#include "nibble/architectures.h"
#include "nibble/error.h"

#include <cmath>

namespace nibble {
namespace {

class MetaReader {
public:
    MetaReader(const gguf::GgufFile& file, std::string arch) : file_(file), arch_(std::move(arch)) {}

    uint32_t required(const std::string& key) const {
        auto v = file_.getInt(arch_ + "." + key);
        if (!v || *v <= 0 || *v > (1 << 30))
            throw Error(ErrorKind::InvalidFile, file_.displayName() + ": metadata " + arch_ + "." + key +
                                                    (v ? " has an invalid value" : " is missing"));
        return static_cast<uint32_t>(*v);
    }
    uint32_t optional(const std::string& key, uint32_t fallback) const {
        auto v = file_.getInt(arch_ + "." + key);
        return (v && *v > 0 && *v <= (1 << 30)) ? static_cast<uint32_t>(*v) : fallback;
    }
    float optionalFloat(const std::string& key, float fallback) const {
        auto v = file_.getFloat(arch_ + "." + key);
        return v ? static_cast<float>(*v) : fallback;
    }
    // Head counts may be per-layer arrays in some files; all our architectures use one value.
    uint32_t headCount(const std::string& key, uint32_t fallback) const {
        const gguf::Value* v = file_.find(arch_ + "." + key);
        if (!v) return fallback;
        if (v->type == gguf::ValueType::Array) {
            auto values = v->intArray();
            if (!values || values->empty()) return fallback;
            for (int64_t n : *values)
                if (n != (*values)[0])
                    throw Error(ErrorKind::Unsupported, file_.displayName() + ": layers with different head counts are not supported");
            return static_cast<uint32_t>((*values)[0]);
        }
        auto n = v->asInt();
        if (!n || *n <= 0 || *n > 4096) throw Error(ErrorKind::InvalidFile, file_.displayName() + ": metadata " + arch_ + "." + key + " has an invalid value");
        return static_cast<uint32_t>(*n);
    }

private:
    const gguf::GgufFile& file_;
    std::string arch_;
};

}  // namespace

ModelConfig ModelConfig::fromGguf(const gguf::GgufFile& file) {
    ModelConfig c;
    auto arch = file.getString("general.architecture");
    if (!arch) throw Error(ErrorKind::InvalidFile, file.displayName() + ": metadata general.architecture is missing");
    c.architecture = std::string(*arch);
    const std::string& a = c.architecture;
    const bool isQwen2 = a == "qwen2", isQwen3 = a == "qwen3";
    const bool isGemma2 = a == "gemma2", isGemma3 = a == "gemma3";
    const bool isPhi3 = a == "phi3";
    if (!isSupportedArchitecture(a))
        throw Error(ErrorKind::Unsupported, file.displayName() + ": the model architecture \"" + a +
                                                "\" is not supported (supported: " + supportedArchitecturesText() + ")");
    MetaReader m(file, a);
    c.nEmbd = m.required("embedding_length");
    c.nLayer = m.required("block_count");
    c.nFf = m.required("feed_forward_length");
    c.nHead = m.headCount("attention.head_count", 0);
    if (c.nHead == 0) throw Error(ErrorKind::InvalidFile, file.displayName() + ": metadata " + a + ".attention.head_count is missing");
    c.nHeadKv = m.headCount("attention.head_count_kv", c.nHead);
    if (c.nHeadKv == 0 || c.nHead % c.nHeadKv != 0)
        throw Error(ErrorKind::InvalidFile, file.displayName() + ": " + std::to_string(c.nHead) + " attention heads cannot share " +
                                                std::to_string(c.nHeadKv) + " key/value heads");
    c.headDimK = m.optional("attention.key_length", c.nEmbd / c.nHead);
    c.headDimV = m.optional("attention.value_length", c.headDimK);
    c.trainedContext = m.optional("context_length", 2048);
    c.rmsEps = m.optionalFloat("attention.layer_norm_rms_epsilon", 1e-5f);
    c.ropeDims = m.optional("rope.dimension_count", c.headDimK);
    c.ropeBase = m.optionalFloat("rope.freq_base", 10000.0f);
    c.ropeBaseSliding = c.ropeBase;
    if (auto type = file.getString(a + ".rope.scaling.type"); type && *type == "linear") {
        float factor = m.optionalFloat("rope.scaling.factor", 1.0f);
        if (factor > 0) c.ropeFreqScale = 1.0f / factor;
    } else if (type && *type != "none") {
        throw Error(ErrorKind::Unsupported, file.displayName() + ": RoPE scaling \"" + std::string(*type) + "\" is not supported");
    }
    c.ropeFreqScaleSliding = c.ropeFreqScale;
    c.ropeOriginalContext = m.optional("rope.scaling.original_context_length", c.trainedContext);
    c.ropeAttnFactor = m.optionalFloat("rope.scaling.attn_factor", 1.0f);
    if (!(c.ropeAttnFactor > 0) || !std::isfinite(c.ropeAttnFactor))
        throw Error(ErrorKind::InvalidFile, file.displayName() + ": metadata " + a + ".rope.scaling.attn_factor has an invalid value");

    if (auto v = file.getInt(a + ".vocab_size"); v && *v > 0) c.nVocab = static_cast<uint32_t>(*v);
    else if (const gguf::Value* tokens = file.find("tokenizer.ggml.tokens")) c.nVocab = static_cast<uint32_t>(tokens->count);
    if (const gguf::TensorInfo* emb = file.findTensor("token_embd.weight"); emb && emb->shape.size() >= 2)
        c.nVocab = static_cast<uint32_t>(emb->shape[1]);

    c.attentionScale = 1.0f / std::sqrt(static_cast<float>(c.headDimK));
    c.layerIsSliding.assign(c.nLayer, false);
    if (isQwen2) {
        c.ropeStyle = RopeStyle::NeoX;
        c.qkvBias = true;
    } else if (isQwen3) {
        c.ropeStyle = RopeStyle::NeoX;
        c.qkNorm = true;
    } else if (isPhi3) {
        c.ropeStyle = RopeStyle::NeoX;
        c.fusedProjections = true;
        // The converter writes Hugging Face's sliding_window, 0 when there is
        // none. llama.cpp ignores it for Phi 3; Hugging Face applies it to
        // every layer, as we do. Phi-3.5-mini's and Phi-4-mini's windows are
        // longer than their contexts, so there the two agree.
        c.slidingWindow = m.optional("attention.sliding_window", 0);
        for (uint32_t l = 0; l < c.nLayer; ++l) c.layerIsSliding[l] = c.slidingWindow > 0;
    } else if (isGemma2 || isGemma3) {
        c.ropeStyle = RopeStyle::NeoX;
        c.activation = Activation::GeluTanh;
        c.embeddingScale = std::sqrt(static_cast<float>(c.nEmbd));
        c.postNorms = true;
        c.slidingWindow = m.optional("attention.sliding_window", 0);
        if (isGemma2) {
            c.attnSoftcap = m.optionalFloat("attn_logit_softcapping", 50.0f);
            c.finalSoftcap = m.optionalFloat("final_logit_softcapping", 30.0f);
            // Gemma 2 alternates sliding-window and global layers, starting with a sliding one.
            for (uint32_t l = 0; l < c.nLayer; ++l) c.layerIsSliding[l] = c.slidingWindow > 0 && l % 2 == 0;
            c.attentionScale = 1.0f / std::sqrt(static_cast<float>(c.headDimK));
        } else {
            c.qkNorm = true;
            // Gemma 3: five sliding-window layers, then one global layer; the
            // sliding ones use a fixed RoPE base of 10000 and no scaling.
            for (uint32_t l = 0; l < c.nLayer; ++l) c.layerIsSliding[l] = c.slidingWindow > 0 && (l + 1) % 6 != 0;
            c.ropeBaseSliding = 10000.0f;
            c.ropeFreqScaleSliding = 1.0f;
        }
    }
    if (c.ropeDims == 0 || c.ropeDims > c.headDimK || c.ropeDims % 2 != 0)
        throw Error(ErrorKind::InvalidFile, file.displayName() + ": RoPE dimension count " + std::to_string(c.ropeDims) + " does not fit the heads");
    if (c.nVocab == 0) throw Error(ErrorKind::InvalidFile, file.displayName() + ": the vocabulary size is unknown");
    return c;
}

}  // namespace nibble
