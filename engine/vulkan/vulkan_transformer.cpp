#include "vulkan/vulkan_transformer.h"

#include "model/cpu_ops.h"
#include "nibble/error.h"
#include "vulkan/forward_kernels.h"
#include "vulkan/mat_vec.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace nibble::vulkan {
namespace {

// Every tensor the forward pass reads, once each (the output may be the embedding).
std::vector<const Tensor*> usedTensors(const ModelWeights& w) {
    std::vector<const Tensor*> all = {w.tokenEmbedding, w.outputNorm, w.output, w.ropeFreqs};
    for (const LayerWeights& L : w.layers)
        all.insert(all.end(), {L.attnNorm, L.wq, L.wk, L.wv, L.wo, L.bq, L.bk, L.bv, L.qNorm, L.kNorm, L.postAttnNorm,
                               L.ffnNorm, L.gate, L.up, L.down, L.postFfnNorm});
    std::vector<const Tensor*> unique;
    std::set<const Tensor*> seen;
    for (const Tensor* t : all)
        if (t && seen.insert(t).second) unique.push_back(t);
    return unique;
}

// Vectors (norm weights, biases) go up as float32 whatever their storage
// type; matrices go up as their raw bytes, which the kernels dequantize.
bool isVector(const Tensor& t) { return t.shape.size() == 1 || t.rows() == 1; }

uint64_t deviceBytes(const Tensor& t) { return isVector(t) ? t.elementCount() * sizeof(float) : t.byteSize; }

struct Sizes {
    uint64_t e, q, k, v, o, f, vocab;
    explicit Sizes(const ModelConfig& c)
        : e(c.nEmbd), q(uint64_t(c.nHead) * c.headDimK), k(uint64_t(c.nHeadKv) * c.headDimK),
          v(uint64_t(c.nHeadKv) * c.headDimV), o(uint64_t(c.nHead) * c.headDimV), f(c.nFf), vocab(c.nVocab) {}
    uint64_t activationFloats(uint64_t batch) const {
        return batch * (2 * e + q + k + v + o + e + 2 * f + vocab);
    }
};

uint64_t largestDeviceLocalHeap(const PhysicalDevice& device) {
    uint64_t largest = 0;
    for (const MemoryHeap& heap : device.heaps)
        if (heap.deviceLocal) largest = std::max(largest, heap.bytes);
    return largest;
}

void checkFits(const ComputeContext& gpu, uint64_t needed) {
    const uint64_t available = largestDeviceLocalHeap(gpu.physicalDevice());
    if (needed > available)
        throw Error(ErrorKind::OutOfMemory, "the model and its context need " + formatBytes(needed) + ", but " +
                                                gpu.physicalDevice().name + " has " + formatBytes(available) +
                                                "; choose a shorter context, a smaller model or the CPU backend");
}

}  // namespace

std::string VulkanTransformer::unsupportedReason(const ModelWeights& weights) {
    // The embedding needs no matrix kernel unless it is also the output.
    for (const Tensor* t : usedTensors(weights))
        if (!isVector(*t) && (t != weights.tokenEmbedding || t == weights.output) && !matVecSupports(t->type))
            return "the Vulkan backend cannot multiply " + std::string(typeName(t->type)) + " weights yet (" +
                   std::string(t->name) + ")";
    return {};
}

uint64_t VulkanTransformer::requiredBytes(const ModelConfig& config, const ModelWeights& weights, int contextLength) {
    uint64_t bytes = 0;
    for (const Tensor* t : usedTensors(weights)) bytes += deviceBytes(*t);
    const Sizes s(config);
    bytes += uint64_t(config.nLayer) * uint64_t(contextLength) * (s.k + s.v) * sizeof(float);
    bytes += s.activationFloats(kMaxBatch) * sizeof(float) + 2 * kMaxBatch * sizeof(int32_t);
    return bytes;
}

VulkanTransformer::VulkanTransformer(const ModelConfig& config, const ModelWeights& weights, int contextLength,
                                     const ContextOptions& options, const Progress& progress)
    : gpu_(options), c_(config), w_(weights), context_(contextLength),
      ids_(gpu_.createBuffer(kMaxBatch * sizeof(int32_t), MemoryKind::DeviceLocal, "the token ids")),
      positions_(gpu_.createBuffer(kMaxBatch * sizeof(int32_t), MemoryKind::DeviceLocal, "the token positions")),
      x_(gpu_.createBuffer(kMaxBatch * Sizes(config).e * sizeof(float), MemoryKind::DeviceLocal, "the hidden state")),
      xn_(gpu_.createBuffer(kMaxBatch * Sizes(config).e * sizeof(float), MemoryKind::DeviceLocal, "the normed state")),
      q_(gpu_.createBuffer(kMaxBatch * Sizes(config).q * sizeof(float), MemoryKind::DeviceLocal, "the queries")),
      k_(gpu_.createBuffer(kMaxBatch * Sizes(config).k * sizeof(float), MemoryKind::DeviceLocal, "the keys")),
      v_(gpu_.createBuffer(kMaxBatch * Sizes(config).v * sizeof(float), MemoryKind::DeviceLocal, "the values")),
      attn_(gpu_.createBuffer(kMaxBatch * Sizes(config).o * sizeof(float), MemoryKind::DeviceLocal, "the attention output")),
      proj_(gpu_.createBuffer(kMaxBatch * Sizes(config).e * sizeof(float), MemoryKind::DeviceLocal, "the projections")),
      gate_(gpu_.createBuffer(kMaxBatch * Sizes(config).f * sizeof(float), MemoryKind::DeviceLocal, "the FFN gate")),
      up_(gpu_.createBuffer(kMaxBatch * Sizes(config).f * sizeof(float), MemoryKind::DeviceLocal, "the FFN up")),
      logits_(gpu_.createBuffer(kMaxBatch * Sizes(config).vocab * sizeof(float), MemoryKind::DeviceLocal, "the logits")) {
    if (contextLength <= 0) throw Error(ErrorKind::InvalidArgument, "the context length must be positive");
    checkFits(gpu_, requiredBytes(config, weights, contextLength));
    if (std::string reason = unsupportedReason(weights); !reason.empty())
        throw Error(ErrorKind::Unsupported, reason + "; use the CPU backend");

    const Sizes s(config);
    for (uint32_t l = 0; l < c_.nLayer; ++l) {
        const std::string layer = " of layer " + std::to_string(l);
        cache_.push_back({gpu_.createBuffer(uint64_t(context_) * s.k * sizeof(float), MemoryKind::DeviceLocal,
                                            "the key cache" + layer),
                          gpu_.createBuffer(uint64_t(context_) * s.v * sizeof(float), MemoryKind::DeviceLocal,
                                            "the value cache" + layer)});
    }
    upload(progress);
}

void VulkanTransformer::upload(const Progress& progress) {
    const std::vector<const Tensor*> tensors = usedTensors(w_);
    uint64_t total = 0, done = 0;
    for (const Tensor* t : tensors) total += deviceBytes(*t);
    const PhysicalDevice& physical = gpu_.physicalDevice();
    const uint64_t maxPieceBytes = std::min(physical.maxStorageBufferRange, physical.maxMemoryAllocationSize) / 4 * 4;
    for (const Tensor* t : tensors) {
        const uint64_t bytes = deviceBytes(*t);
        // Whole words: the kernels read the weights as 32-bit words.
        auto create = [&](uint64_t size) {
            return gpu_.createBuffer(std::max<uint64_t>((size + 3) / 4 * 4, 4), MemoryKind::DeviceLocal, std::string(t->name));
        };
        DeviceTensor& device = weights_[t];
        if (isVector(*t)) {
            const std::vector<float> values = cpu::tensorToFloat(*t);
            device.pieces.push_back(create(bytes));
            gpu_.upload(device.pieces.back(), std::as_bytes(std::span(values)));
            device.rowsPerPiece = 1;
        } else {
            const uint64_t rowBytes = t->byteSize / t->rows();
            device.rowsPerPiece = std::max<uint64_t>(1, std::min(t->rows(), maxPieceBytes / rowBytes));
            for (uint64_t row = 0; row < t->rows(); row += device.rowsPerPiece) {
                const uint64_t rows = std::min(device.rowsPerPiece, t->rows() - row);
                device.pieces.push_back(create(rows * rowBytes));
                gpu_.upload(device.pieces.back(), std::as_bytes(std::span(t->data + row * rowBytes, rows * rowBytes)));
            }
            if (t == w_.output && device.pieces.size() > 1)
                logitsPiece_.emplace(gpu_.createBuffer(kMaxBatch * device.rowsPerPiece * sizeof(float),
                                                       MemoryKind::DeviceLocal, "the logits of a piece of the output"));
        }
        done += bytes;
        if (progress && !progress(total ? float(double(done) / double(total)) : 1.0f))
            throw Error(ErrorKind::Cancelled, "loading was cancelled");
    }
}

std::string VulkanTransformer::description() const { return "Vulkan, " + gpu_.physicalDevice().name; }

void VulkanTransformer::matVec(CommandRecorder& recorder, const Tensor& w, const Buffer& x, const Buffer& y,
                               uint32_t batch, VkDeviceSize xOffset) {
    const DeviceTensor& device = weights_.at(&w);
    const uint32_t K = uint32_t(w.shape[0]), N = uint32_t(w.rows());
    if (device.pieces.size() == 1) {
        recordMatVec(gpu_, recorder, w.type, device.pieces.front(), 0, K, N, x, xOffset, y, 0, batch);
        return;
    }
    // Each piece gives a slice of every output row: straight into y for one
    // row, through logitsPiece_ and a copy per row for several.
    for (size_t p = 0; p < device.pieces.size(); ++p) {
        const uint64_t first = p * device.rowsPerPiece;
        const uint32_t rows = uint32_t(std::min<uint64_t>(device.rowsPerPiece, N - first));
        if (batch == 1) {
            recordMatVec(gpu_, recorder, w.type, device.pieces[p], 0, K, rows, x, xOffset, y, first * sizeof(float), 1);
            continue;
        }
        recordMatVec(gpu_, recorder, w.type, device.pieces[p], 0, K, rows, x, xOffset, *logitsPiece_, 0, batch);
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
    const Sizes s(c_);
    const uint32_t E = c_.nEmbd, H = c_.nHead, Hkv = c_.nHeadKv, Dk = c_.headDimK, Dv = c_.headDimV;

    std::vector<int32_t> positions(batch);
    for (uint32_t b = 0; b < batch; ++b) positions[b] = startPos + int32_t(b);
    gpu_.upload(ids_, std::as_bytes(tokens));
    gpu_.upload(positions_, std::as_bytes(std::span(positions)));

    CommandRecorder rec(gpu_);
    const Tensor& embedding = *w_.tokenEmbedding;
    if (getRowsSupports(embedding.type)) {
        const DeviceTensor& device = weights_.at(&embedding);
        for (size_t p = 0; p < device.pieces.size(); ++p)
            recordGetRows(gpu_, rec, embedding.type, device.pieces[p], E, ids_, batch, c_.embeddingScale, x_,
                          uint32_t(p * device.rowsPerPiece), uint32_t(device.rowsPerPiece));
    } else {
        hostRows_.resize(size_t(batch) * E);
        for (uint32_t b = 0; b < batch; ++b) {
            cpu::tensorRow(embedding, uint64_t(tokens[b]), &hostRows_[size_t(b) * E]);
            for (uint32_t i = 0; i < E; ++i) hostRows_[size_t(b) * E + i] *= c_.embeddingScale;
        }
        gpu_.upload(x_, std::as_bytes(std::span(hostRows_)));
    }

    const Buffer* freqFactors = w_.ropeFreqs ? &weight(w_.ropeFreqs) : nullptr;
    for (uint32_t l = 0; l < c_.nLayer; ++l) {
        const LayerWeights& L = w_.layers[l];
        const bool sliding = c_.layerIsSliding[l];

        recordRmsNorm(gpu_, rec, x_, weight(L.attnNorm), batch, E, c_.rmsEps, xn_);
        matVec(rec, *L.wq, xn_, q_, batch);
        matVec(rec, *L.wk, xn_, k_, batch);
        matVec(rec, *L.wv, xn_, v_, batch);
        if (L.bq) {
            recordAddBias(gpu_, rec, q_, weight(L.bq), uint32_t(batch * s.q), uint32_t(s.q));
            recordAddBias(gpu_, rec, k_, weight(L.bk), uint32_t(batch * s.k), uint32_t(s.k));
            recordAddBias(gpu_, rec, v_, weight(L.bv), uint32_t(batch * s.v), uint32_t(s.v));
        }
        if (L.qNorm) recordRmsNorm(gpu_, rec, q_, weight(L.qNorm), batch * H, Dk, c_.rmsEps, q_);
        if (L.kNorm) recordRmsNorm(gpu_, rec, k_, weight(L.kNorm), batch * Hkv, Dk, c_.rmsEps, k_);
        RopeParams rope{Dk, H, c_.ropeDims, c_.ropeStyle == RopeStyle::NeoX,
                        sliding ? c_.ropeBaseSliding : c_.ropeBase, sliding ? c_.ropeFreqScaleSliding : c_.ropeFreqScale};
        recordRope(gpu_, rec, q_, batch, positions_, freqFactors, rope);
        rope.heads = Hkv;
        recordRope(gpu_, rec, k_, batch, positions_, freqFactors, rope);

        const LayerCache& cache = cache_[l];
        rec.copy(k_, 0, cache.k, uint64_t(startPos) * s.k * sizeof(float), batch * s.k * sizeof(float));
        rec.copy(v_, 0, cache.v, uint64_t(startPos) * s.v * sizeof(float), batch * s.v * sizeof(float));
        const AttentionParams attention{H, Hkv, Dk, Dv, c_.attentionScale, c_.attnSoftcap,
                                        sliding ? c_.slidingWindow : 0};
        recordAttention(gpu_, rec, q_, cache.k, cache.v, positions_, batch, attention, attn_);

        matVec(rec, *L.wo, attn_, proj_, batch);
        if (L.postAttnNorm) recordRmsNorm(gpu_, rec, proj_, weight(L.postAttnNorm), batch, E, c_.rmsEps, proj_);
        recordAdd(gpu_, rec, x_, proj_, batch * E, x_);
        recordRmsNorm(gpu_, rec, x_, weight(L.ffnNorm), batch, E, c_.rmsEps, xn_);

        matVec(rec, *L.gate, xn_, gate_, batch);
        matVec(rec, *L.up, xn_, up_, batch);
        recordGlu(gpu_, rec, gate_, up_, uint32_t(batch * s.f),
                  c_.activation == Activation::SiLU ? GluActivation::SiLU : GluActivation::GeluTanh);
        matVec(rec, *L.down, gate_, proj_, batch);
        if (L.postFfnNorm) recordRmsNorm(gpu_, rec, proj_, weight(L.postFfnNorm), batch, E, c_.rmsEps, proj_);
        recordAdd(gpu_, rec, x_, proj_, batch * E, x_);
    }

    uint32_t rows = 0;
    if (want != Logits::None) {
        recordRmsNorm(gpu_, rec, x_, weight(w_.outputNorm), batch, E, c_.rmsEps, xn_);
        if (want == Logits::All) {
            rows = batch;
            matVec(rec, *w_.output, xn_, logits_, batch);
        } else {
            rows = 1;
            matVec(rec, *w_.output, xn_, logits_, 1, uint64_t(batch - 1) * E * sizeof(float));
        }
    }
    gpu_.submit(rec.finish());
    if (rows > 0)
        gpu_.download(logits_, std::as_writable_bytes(std::span(logits, size_t(rows) * c_.nVocab)));
}

VulkanDeviceChoice chooseVulkanDevice(const std::string& preferred) {
    const Instance instance;
    const std::vector<PhysicalDevice> devices = enumeratePhysicalDevices(instance);
    const PhysicalDevice& chosen = devices[choosePhysicalDevice(devices, preferred).position];
    return {chosen.name, chosen.type != VK_PHYSICAL_DEVICE_TYPE_CPU};
}

}  // namespace nibble::vulkan
