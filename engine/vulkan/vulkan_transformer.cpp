#include "vulkan/vulkan_transformer.h"

#include "model/tensor_values.h"
#include "nibble/error.h"
#include "vulkan/mat_mat.h"
#include "vulkan/mat_vec.h"

#include <algorithm>
#include <cmath>
#include <mutex>

namespace nibble::vulkan {
namespace {

struct Sizes {
    uint64_t e, q, k, v, o, f, vocab;
    explicit Sizes(const ModelConfig& c)
        : e(c.nEmbd), q(uint64_t(c.nHead) * c.headDimK), k(uint64_t(c.nHeadKv) * c.headDimK),
          v(uint64_t(c.nHeadKv) * c.headDimV), o(uint64_t(c.nHead) * c.headDimV), f(c.nFf), vocab(c.nVocab) {}
    uint64_t activationFloats(uint64_t batch) const {
        return batch * (2 * e + q + k + v + o + e + 2 * f + vocab);
    }
};

AttentionParams attentionShape(const ModelConfig& c) { return {c.nHead, c.nHeadKv, c.headDimK, c.headDimV}; }

AttentionSplit attentionSplit(const ModelConfig& c, int contextLength) {
    return attentionSplitFor(uint32_t(contextLength), c.nHead);
}

int checkedContext(int contextLength) {
    if (contextLength <= 0) throw Error(ErrorKind::InvalidArgument, "the context length must be positive");
    return contextLength;
}

}  // namespace

uint64_t VulkanTransformer::sessionBytes(const ModelConfig& config, int contextLength) {
    const Sizes s(config);
    uint64_t floats = uint64_t(config.nLayer) * uint64_t(contextLength) * (s.k + s.v) + s.activationFloats(kMaxBatch);
    floats += splitAttentionScratchFloats(1, attentionShape(config), attentionSplit(config, contextLength));
    return floats * sizeof(float) + 2 * kMaxBatch * sizeof(int32_t);
}

uint64_t VulkanTransformer::requiredBytes(const ModelConfig& config, const ModelWeights& weights, int contextLength) {
    return DeviceWeights::bytes(weights) + sessionBytes(config, contextLength);
}

VulkanTransformer::VulkanTransformer(const ModelConfig& config, const ModelWeights& weights, int contextLength,
                                     const ContextOptions& options, const Progress& progress)
    : VulkanTransformer(config,
                        std::make_shared<DeviceWeights>(weights, options,
                                                        sessionBytes(config, checkedContext(contextLength)), progress),
                        contextLength) {}

VulkanTransformer::VulkanTransformer(const ModelConfig& config, std::shared_ptr<DeviceWeights> weights, int contextLength)
    : shared_(std::move(weights)), gpu_(shared_->context()), weights_(*shared_), c_(config),
      w_(shared_->modelWeights()), plan_(planLayers(config)), context_(checkedContext(contextLength)),
      split_(attentionSplit(config, contextLength)),
      ids_(gpu_.createBuffer(kMaxBatch * sizeof(int32_t), MemoryKind::HostVisible, "the token ids")),
      positions_(gpu_.createBuffer(kMaxBatch * sizeof(int32_t), MemoryKind::HostVisible, "the token positions")),
      x_(gpu_.createBuffer(kMaxBatch * Sizes(config).e * sizeof(float), MemoryKind::DeviceLocal, "the hidden state")),
      xn_(gpu_.createBuffer(kMaxBatch * Sizes(config).e * sizeof(float), MemoryKind::DeviceLocal, "the normed state")),
      q_(gpu_.createBuffer(kMaxBatch * Sizes(config).q * sizeof(float), MemoryKind::DeviceLocal, "the queries")),
      k_(gpu_.createBuffer(kMaxBatch * Sizes(config).k * sizeof(float), MemoryKind::DeviceLocal, "the keys")),
      v_(gpu_.createBuffer(kMaxBatch * Sizes(config).v * sizeof(float), MemoryKind::DeviceLocal, "the values")),
      attn_(gpu_.createBuffer(kMaxBatch * Sizes(config).o * sizeof(float), MemoryKind::DeviceLocal, "the attention output")),
      attnPartials_(gpu_.createBuffer(splitAttentionScratchFloats(1, attentionShape(config), split_) * sizeof(float),
                                      MemoryKind::DeviceLocal, "the attention partials")),
      proj_(gpu_.createBuffer(kMaxBatch * Sizes(config).e * sizeof(float), MemoryKind::DeviceLocal, "the projections")),
      gate_(gpu_.createBuffer(kMaxBatch * Sizes(config).f * sizeof(float), MemoryKind::DeviceLocal, "the FFN gate")),
      up_(gpu_.createBuffer(kMaxBatch * Sizes(config).f * sizeof(float), MemoryKind::DeviceLocal, "the FFN up")),
      logits_(gpu_.createBuffer(kMaxBatch * Sizes(config).vocab * sizeof(float), MemoryKind::DeviceLocal, "the logits")) {
    DeviceWeights::checkFits(gpu_, requiredBytes(config, w_, contextLength));
    const Sizes s(config);
    for (uint32_t l = 0; l < c_.nLayer; ++l) {
        const std::string layer = " of layer " + std::to_string(l);
        cache_.push_back({gpu_.createBuffer(uint64_t(context_) * s.k * sizeof(float), MemoryKind::DeviceLocal,
                                            "the key cache" + layer),
                          gpu_.createBuffer(uint64_t(context_) * s.v * sizeof(float), MemoryKind::DeviceLocal,
                                            "the value cache" + layer)});
    }
    if (!getRowsSupports(w_.tokenEmbedding->type))
        hostRows_.emplace(gpu_.createBuffer(kMaxBatch * s.e * sizeof(float), MemoryKind::HostVisible,
                                            "the embedding rows dequantized on the host"));
    const DeviceTensor& output = weights_.at(w_.output);
    if (output.pieces.size() > 1)
        logitsPiece_.emplace(gpu_.createBuffer(kMaxBatch * output.rowsPerPiece * sizeof(float), MemoryKind::DeviceLocal,
                                               "the logits of a piece of the output"));
}

VulkanTransformer::~VulkanTransformer() {
    // Freeing the recordings' command buffers touches the command pool other sessions record from.
    const std::lock_guard lock(shared_->mutex());
    recordings_.clear();
}

std::string VulkanTransformer::description() const { return "Vulkan, " + gpu_.physicalDevice().name; }

void VulkanTransformer::matVec(CommandRecorder& recorder, const Tensor& w, const Buffer& x, const Buffer& y,
                               uint32_t batch, VkDeviceSize xOffset) {
    const DeviceTensor& device = weights_.at(&w);
    const uint32_t K = uint32_t(w.shape[0]), N = uint32_t(w.rows());
    // Prompt chunks of kMatMatMinBatch tokens or more take the tiled kernel.
    const auto product = [&](const Buffer& piece, uint32_t rows, const Buffer& out, VkDeviceSize outOffset,
                             uint32_t columns) {
        if (useMatMat(w.type, columns))
            recordMatMat(gpu_, recorder, w.type, piece, 0, K, rows, x, xOffset, out, outOffset, columns);
        else
            recordMatVec(gpu_, recorder, w.type, piece, 0, K, rows, x, xOffset, out, outOffset, columns);
    };
    if (device.pieces.size() == 1) {
        product(device.pieces.front(), N, y, 0, batch);
        return;
    }
    // Each piece gives a slice of every output row: straight into y for one
    // row, through logitsPiece_ and a copy per row for several.
    for (size_t p = 0; p < device.pieces.size(); ++p) {
        const uint64_t first = p * device.rowsPerPiece;
        const uint32_t rows = uint32_t(std::min<uint64_t>(device.rowsPerPiece, N - first));
        if (batch == 1) {
            product(device.pieces[p], rows, y, first * sizeof(float), 1);
            continue;
        }
        product(device.pieces[p], rows, *logitsPiece_, 0, batch);
        for (uint32_t b = 0; b < batch; ++b)
            recorder.copy(*logitsPiece_, uint64_t(b) * rows * sizeof(float), y, (uint64_t(b) * N + first) * sizeof(float),
                          rows * sizeof(float));
    }
}

void VulkanTransformer::forward(std::span<const int32_t> tokens, int startPos, bool allLogits, std::vector<float>& logits) {
    const size_t count = tokens.size();
    if (count == 0) return;
    if (startPos < 0 || startPos + int64_t(count) > context_)
        throw Error(ErrorKind::ContextFull, "the conversation needs " + std::to_string(startPos + int64_t(count)) +
                                                " tokens but the context holds " + std::to_string(context_));
    for (int32_t token : tokens)
        if (token < 0 || uint32_t(token) >= c_.nVocab)
            throw Error(ErrorKind::InvalidArgument, "token id " + std::to_string(token) + " is outside the vocabulary");

    const std::lock_guard lock(shared_->mutex());
    logits.resize((allLogits ? count : 1) * size_t(c_.nVocab));
    for (size_t begin = 0; begin < count; begin += kMaxBatch) {
        const size_t n = std::min<size_t>(kMaxBatch, count - begin);
        const bool last = begin + n == count;
        const Logits want = allLogits ? Logits::All : last ? Logits::Last : Logits::None;
        float* out = allLogits ? logits.data() + begin * c_.nVocab : logits.data();
        forwardBatch(tokens.subspan(begin, n), startPos + int(begin), want, out);
    }
    if (c_.finalSoftcap > 0)
        for (float& value : logits) value = c_.finalSoftcap * std::tanh(value / c_.finalSoftcap);
}

void VulkanTransformer::forwardBatch(std::span<const int32_t> tokens, int startPos, Logits want, float* logits) {
    const uint32_t batch = uint32_t(tokens.size());
    const uint32_t E = c_.nEmbd;

    std::vector<int32_t> positions(batch);
    for (uint32_t b = 0; b < batch; ++b) positions[b] = startPos + int32_t(b);
    gpu_.upload(ids_, std::as_bytes(tokens));
    gpu_.upload(positions_, std::as_bytes(std::span(positions)));
    if (hostRows_) {
        hostRowValues_.resize(size_t(batch) * E);
        for (uint32_t b = 0; b < batch; ++b) {
            tensorRow(*w_.tokenEmbedding, uint64_t(tokens[b]), &hostRowValues_[size_t(b) * E]);
            for (uint32_t i = 0; i < E; ++i) hostRowValues_[size_t(b) * E + i] *= c_.embeddingScale;
        }
        gpu_.upload(*hostRows_, std::as_bytes(std::span(hostRowValues_)));
    }

    for (const Recording& part : recordingFor({batch, want})) {
        throwIfCancelled();
        gpu_.submit(part);
    }
    const uint32_t rows = want == Logits::All ? batch : want == Logits::Last ? 1 : 0;
    if (rows > 0)
        gpu_.download(logits_, std::as_writable_bytes(std::span(logits, size_t(rows) * c_.nVocab)));
}

const std::vector<Recording>& VulkanTransformer::recordingFor(Shape shape) {
    if (auto found = recordings_.find(shape); found != recordings_.end()) return found->second;
    // Keep the one-token step, which every generated token replays, and the newest other shape.
    std::erase_if(recordings_, [](const auto& entry) { return entry.first != kDecodeStep; });
    return recordings_.emplace(shape, record(shape)).first->second;
}

std::vector<Recording> VulkanTransformer::record(Shape shape) {
    ++recordingCount_;
    std::vector<Recording> parts;
    const uint32_t batch = shape.batch;
    const Sizes s(c_);
    const uint32_t E = c_.nEmbd, H = c_.nHead, Hkv = c_.nHeadKv, Dk = c_.headDimK;

    std::optional<CommandRecorder> rec(std::in_place, gpu_);
    const Tensor& embedding = *w_.tokenEmbedding;
    if (hostRows_) {
        rec->copy(*hostRows_, 0, x_, 0, uint64_t(batch) * E * sizeof(float));
    } else {
        const DeviceTensor& device = weights_.at(&embedding);
        for (size_t p = 0; p < device.pieces.size(); ++p)
            recordGetRows(gpu_, *rec, embedding.type, device.pieces[p], E, ids_, batch, c_.embeddingScale, x_,
                          uint32_t(p * device.rowsPerPiece), uint32_t(device.rowsPerPiece));
    }

    const Tensor* factors = w_.ropeFactors(c_, context_);
    const Buffer* freqFactors = factors ? &weight(factors) : nullptr;
    for (uint32_t l = 0; l < c_.nLayer; ++l) {
        if (batch > 1 && l > 0 && l % kLayersPerSubmit == 0) {
            parts.push_back(rec->finish());
            rec.emplace(gpu_);
        }
        const LayerWeights& L = w_.layers[l];
        const LayerPlan& P = plan_[l];

        recordRmsNorm(gpu_, *rec, x_, weight(L.attnNorm), batch, E, c_.rmsEps, xn_);
        matVec(*rec, *L.wq, xn_, q_, batch);
        matVec(*rec, *L.wk, xn_, k_, batch);
        matVec(*rec, *L.wv, xn_, v_, batch);
        if (P.qkvBias) {
            recordAddBias(gpu_, *rec, q_, weight(L.bq), uint32_t(batch * s.q), uint32_t(s.q));
            recordAddBias(gpu_, *rec, k_, weight(L.bk), uint32_t(batch * s.k), uint32_t(s.k));
            recordAddBias(gpu_, *rec, v_, weight(L.bv), uint32_t(batch * s.v), uint32_t(s.v));
        }
        if (P.qkNorm) {
            recordRmsNorm(gpu_, *rec, q_, weight(L.qNorm), batch * H, Dk, c_.rmsEps, q_);
            recordRmsNorm(gpu_, *rec, k_, weight(L.kNorm), batch * Hkv, Dk, c_.rmsEps, k_);
        }
        RopeParams rope{Dk, H, P.rope.dims, P.rope.neox, P.rope.base, P.rope.freqScale, P.rope.attnFactor};
        recordRope(gpu_, *rec, q_, batch, positions_, freqFactors, rope);
        rope.heads = Hkv;
        recordRope(gpu_, *rec, k_, batch, positions_, freqFactors, rope);

        const LayerCache& cache = cache_[l];
        recordStoreRows(gpu_, *rec, k_, positions_, batch, uint32_t(s.k), cache.k);
        recordStoreRows(gpu_, *rec, v_, positions_, batch, uint32_t(s.v), cache.v);
        AttentionParams attention = attentionShape(c_);
        attention.scale = P.attentionScale;
        attention.softcap = P.attnSoftcap;
        attention.window = P.window;
        if (batch == 1)
            recordSplitAttention(gpu_, *rec, q_, cache.k, cache.v, positions_, batch, attention, split_, attnPartials_, attn_);
        else
            recordAttention(gpu_, *rec, q_, cache.k, cache.v, positions_, batch, attention, attn_);

        matVec(*rec, *L.wo, attn_, proj_, batch);
        if (P.postNorms) recordRmsNorm(gpu_, *rec, proj_, weight(L.postAttnNorm), batch, E, c_.rmsEps, proj_);
        recordAdd(gpu_, *rec, x_, proj_, batch * E, x_);
        recordRmsNorm(gpu_, *rec, x_, weight(L.ffnNorm), batch, E, c_.rmsEps, xn_);

        matVec(*rec, *L.gate, xn_, gate_, batch);
        matVec(*rec, *L.up, xn_, up_, batch);
        recordGlu(gpu_, *rec, gate_, up_, uint32_t(batch * s.f),
                  P.activation == Activation::SiLU ? GluActivation::SiLU : GluActivation::GeluTanh);
        matVec(*rec, *L.down, gate_, proj_, batch);
        if (P.postNorms) recordRmsNorm(gpu_, *rec, proj_, weight(L.postFfnNorm), batch, E, c_.rmsEps, proj_);
        recordAdd(gpu_, *rec, x_, proj_, batch * E, x_);
    }

    if (shape.want != Logits::None) {
        recordRmsNorm(gpu_, *rec, x_, weight(w_.outputNorm), batch, E, c_.rmsEps, xn_);
        if (shape.want == Logits::All)
            matVec(*rec, *w_.output, xn_, logits_, batch);
        else
            matVec(*rec, *w_.output, xn_, logits_, 1, uint64_t(batch - 1) * E * sizeof(float));
    }
    parts.push_back(rec->finish());
    return parts;
}

VulkanDeviceChoice chooseVulkanDevice(const std::string& preferred) {
    const Instance instance;
    const std::vector<PhysicalDevice> devices = enumeratePhysicalDevices(instance);
    const PhysicalDevice& chosen = devices[choosePhysicalDevice(devices, preferred).position];
    return {chosen.name, chosen.type != VK_PHYSICAL_DEVICE_TYPE_CPU, DeviceWeights::memoryBytes(chosen)};
}

}  // namespace nibble::vulkan
