#pragma once
// A tiny Llama-architecture GGUF written by the test itself (one layer,
// 32-wide, small random F32 weights, a SentencePiece vocabulary with byte
// tokens), with knobs for the ways a file can be broken: a vocabulary that
// does not match the embedding, NaN or infinity in a tensor, a quantized
// matrix whose scales are NaN.
#include "gguf/gguf_writer.h"
#include "tiny_llama_layout.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace nibble::test {

struct TinyModel {
    std::string name = "tiny test model";
    uint32_t tokens = 300;         // entries in tokenizer.ggml.tokens
    uint32_t embeddingRows = 300;  // rows of token_embd and output
    std::string poisoned;          // a tensor whose first value becomes `poison`
    float poison = std::numeric_limits<float>::quiet_NaN();
    bool nanScaledDown = false;    // ffn_down in Q8_0 with NaN scales, which no check at load reads

    static constexpr uint32_t kEmbedding = 32, kFeedForward = 64, kHeads = 2, kKvHeads = 1, kContext = 2048;

    void write(const std::filesystem::path& path) const {
        TinyLlamaShape shape;
        shape.width = kEmbedding;
        shape.feedForward = kFeedForward;
        shape.heads = kHeads;
        shape.kvHeads = kKvHeads;
        shape.context = kContext;
        shape.vocabulary = tokens;
        shape.embeddingRows = embeddingRows;
        gguf::GgufWriter w;
        writeTinyLlamaHeader(w, shape, name);

        uint64_t seed = 1;
        auto floats = [&](const std::string& tensor, std::vector<uint64_t> dims, float scale, float offset) {
            uint64_t count = 1;
            for (uint64_t d : dims) count *= d;
            std::vector<float> values(count);
            uint64_t state = ++seed * 0x9e3779b97f4a7c15ull;
            for (float& v : values) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                v = offset + scale * (float(state >> 40) / float(1 << 24) - 0.5f);
            }
            if (tensor == poisoned) values[0] = poison;
            std::vector<uint8_t> bytes(count * sizeof(float));
            std::memcpy(bytes.data(), values.data(), bytes.size());
            w.addTensor(tensor, dims, GgmlType::F32, [bytes] { return bytes; });
        };
        auto matrix = [&](const std::string& tensor, uint64_t rowLength, uint64_t rows) {
            if (nanScaledDown && tensor == "blk.0.ffn_down.weight") {
                // Q8_0 blocks: an fp16 scale (0x7e00 is NaN), then 32 quants.
                std::vector<uint8_t> blocks(rows * (rowLength / 32) * 34, 1);
                for (size_t b = 0; b < blocks.size(); b += 34) blocks[b] = 0x00, blocks[b + 1] = 0x7e;
                w.addTensor(tensor, {rowLength, rows}, GgmlType::Q8_0, [blocks] { return blocks; });
                return;
            }
            floats(tensor, {rowLength, rows}, 2.0f / std::sqrt(float(rowLength)), 0.0f);
        };
        auto norm = [&](const std::string& tensor, uint64_t length) { floats(tensor, {length}, 0.2f, 1.0f); };
        forEachTinyLlamaTensor(shape, matrix, norm);
        w.write(path);
    }
};

}  // namespace nibble::test
