#include "synthetic_model.h"

#include "gguf/gguf_writer.h"
#include "nibble/error.h"
#include "tensor/half.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace nibble::bench {

namespace {

// splitmix64: fast enough to fill gigabytes, and the same bytes for a seed everywhere.
class RandomBytes {
public:
    explicit RandomBytes(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    void fill(std::vector<uint8_t>& bytes) {
        size_t i = 0;
        for (; i + 8 <= bytes.size(); i += 8) {
            const uint64_t r = next();
            std::memcpy(&bytes[i], &r, 8);
        }
        for (uint64_t r = next(); i < bytes.size(); ++i, r >>= 8) bytes[i] = uint8_t(r);
    }

private:
    uint64_t state_;
};

// Where each block keeps its fp16 scales, and the typical |quant * scale
// factor| of its random bytes, so the scale can make a row's weights about
// 1/sqrt(K) each (unit-variance outputs for unit-variance inputs).
struct BlockScales {
    uint32_t offsets[2];
    uint32_t count;
    float quantSpread;
};

BlockScales blockScales(GgmlType type) {
    switch (type) {
    case GgmlType::Q4_0: return {{0, 0}, 1, 4.6f};         // d; q - 8 in -8..7
    case GgmlType::Q8_0: return {{0, 0}, 1, 73.0f};        // d; q in -128..127
    case GgmlType::Q4_K: return {{0, 2}, 2, 4.6f * 32.0f};  // d, dmin; q 0..15 times 6-bit scales
    default: throw Error(ErrorKind::Unsupported, "synthetic models are written in Q4_0, Q4_K or Q8_0");
    }
}

std::vector<uint8_t> randomMatrix(GgmlType type, uint64_t rowLength, uint64_t rows, uint64_t seed) {
    const TypeTraits traits = *typeTraits(uint32_t(type));
    std::vector<uint8_t> bytes(rows * (rowLength / traits.blockSize) * traits.blockBytes);
    RandomBytes random(seed);
    random.fill(bytes);
    const BlockScales scales = blockScales(type);
    const uint16_t scale = floatToHalf(1.0f / (scales.quantSpread * std::sqrt(float(rowLength))));
    for (size_t block = 0; block < bytes.size(); block += traits.blockBytes)
        for (uint32_t s = 0; s < scales.count; ++s) std::memcpy(&bytes[block + scales.offsets[s]], &scale, 2);
    return bytes;
}

std::vector<uint8_t> ones(uint64_t count) {
    const std::vector<float> values(count, 1.0f);
    std::vector<uint8_t> bytes(count * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

// "a", "b", ... "z", "ba", ...: distinct pieces for the made-up part of the vocabulary.
std::string piece(uint32_t i) {
    std::string s;
    do {
        s.insert(s.begin(), char('a' + i % 26));
        i /= 26;
    } while (i > 0);
    return "\xe2\x96\x81" + s;  // U+2581, SentencePiece's word start
}

}  // namespace

std::optional<SyntheticShape> syntheticShape(std::string_view name) {
    if (name == "llama-1b") return SyntheticShape{"llama-1b", 16, 2048, 8192, 32, 8, 128256, true};
    if (name == "llama-8b") return SyntheticShape{"llama-8b", 32, 4096, 14336, 32, 8, 128256, false};
    if (name == "tiny") return SyntheticShape{"tiny", 2, 256, 512, 4, 2, 1024, false};
    return std::nullopt;
}

std::optional<GgmlType> syntheticWeightType(std::string_view name) {
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q8_0})
        if (typeName(type) == name) return type;
    return std::nullopt;
}

void writeSyntheticModel(const SyntheticShape& shape, GgmlType type, const std::filesystem::path& path,
                         uint64_t seed) {
    blockScales(type);  // rejects other types before anything is written
    gguf::GgufWriter writer;
    writer.setString("general.architecture", "llama");
    writer.setString("general.name", "synthetic " + shape.name + " " + std::string(typeName(type)));
    writer.setUInt32("llama.block_count", shape.layers);
    writer.setUInt32("llama.embedding_length", shape.embedding);
    writer.setUInt32("llama.feed_forward_length", shape.feedForward);
    writer.setUInt32("llama.attention.head_count", shape.heads);
    writer.setUInt32("llama.attention.head_count_kv", shape.kvHeads);
    writer.setUInt32("llama.context_length", 8192);
    writer.setUInt32("llama.vocab_size", shape.vocab);
    writer.setFloat32("llama.rope.freq_base", 500000.0f);
    writer.setFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);

    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> kinds = {2, 3, 3};  // unknown, control, control
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        tokens.push_back(name);
        kinds.push_back(6);  // byte
    }
    for (uint32_t i = 0; tokens.size() < shape.vocab; ++i) {
        tokens.push_back(piece(i));
        kinds.push_back(1);  // normal
    }
    std::vector<float> scores(tokens.size());
    for (size_t i = 0; i < scores.size(); ++i) scores[i] = -float(i);
    writer.setString("tokenizer.ggml.model", "llama");
    writer.setStringArray("tokenizer.ggml.tokens", tokens);
    writer.setFloat32Array("tokenizer.ggml.scores", scores);
    writer.setInt32Array("tokenizer.ggml.token_type", kinds);

    const uint64_t e = shape.embedding, f = shape.feedForward, headDim = e / shape.heads;
    const uint64_t kv = uint64_t(shape.kvHeads) * headDim;
    uint64_t tensorSeed = seed;
    auto matrix = [&](const std::string& name, uint64_t rowLength, uint64_t rows) {
        const uint64_t s = ++tensorSeed * 0x2545f4914f6cdd1dull;
        writer.addTensor(name, {rowLength, rows}, type, [=] { return randomMatrix(type, rowLength, rows, s); });
    };
    auto vector = [&](const std::string& name, uint64_t count) {
        writer.addTensor(name, {count}, GgmlType::F32, [=] { return ones(count); });
    };
    matrix("token_embd.weight", e, shape.vocab);
    vector("output_norm.weight", e);
    if (!shape.tiedOutput) matrix("output.weight", e, shape.vocab);
    for (uint32_t l = 0; l < shape.layers; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        vector(p + "attn_norm.weight", e);
        matrix(p + "attn_q.weight", e, e);
        matrix(p + "attn_k.weight", e, kv);
        matrix(p + "attn_v.weight", e, kv);
        matrix(p + "attn_output.weight", e, e);
        vector(p + "ffn_norm.weight", e);
        matrix(p + "ffn_gate.weight", e, f);
        matrix(p + "ffn_up.weight", e, f);
        matrix(p + "ffn_down.weight", f, e);
    }
    writer.write(path);
}

}  // namespace nibble::bench
