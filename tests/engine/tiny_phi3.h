#pragma once
// A tiny Phi-3-architecture GGUF laid out as llama.cpp's converter writes
// Phi-3.5-mini and Phi-4-mini: one attn_qkv matrix (q, k and v rows stacked),
// one ffn_up matrix (gate rows, then up rows), LongRoPE factors with the
// original context and attention factor, and optionally partial rotary.
// The same weights can be written unfused as a Llama-architecture file, so a
// test can check that splitting the fused matrices changes nothing.
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "tiny_vocabulary.h"
#include "tensor/quantize.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace nibble::test {

struct TinyPhi3 {
    uint32_t layers = 2, embedding = 64, heads = 4, kvHeads = 2, feedForward = 128;
    uint32_t ropeDims = 16;  // the whole head; fewer rotate only part of it, as in Phi-4-mini
    uint32_t trainedContext = 128;
    bool longRope = true;    // rope_factors_short/long and the attention factor
    uint32_t originalContext = 32;
    float attnFactor = 1.25f;
    GgmlType matrixType = GgmlType::Q8_0;
    // Copies the tokenizer.* metadata of this file (a real vocabulary, as
    // llama.cpp needs); without it, a made-up SentencePiece vocabulary of 300.
    const gguf::GgufFile* tokenizer = nullptr;

    // fused: the Phi 3 layout; otherwise separate q/k/v/gate/up matrices
    // under the llama architecture, holding exactly the same rows.
    void write(const std::filesystem::path& path, bool fused = true) const {
        gguf::GgufWriter w;
        uint32_t vocab = 300;
        if (tokenizer) {
            w.copyMetadata(*tokenizer);
            for (const auto& [key, value] : tokenizer->metadata())
                if (!key.starts_with("tokenizer.")) w.remove(std::string(key));
            vocab = uint32_t(tokenizer->find("tokenizer.ggml.tokens")->count);
        } else {
            writeTinyVocabulary(w, vocab);
        }
        const std::string a = fused ? "phi3" : "llama";
        w.setString("general.architecture", a);
        // Not "phi3": llama.cpp gives special tokens of models so named
        // attributes that need Phi 3's own vocabulary.
        w.setString("general.name", fused ? "tiny fused test model" : "tiny unfused test model");
        w.setUInt32(a + ".block_count", layers);
        w.setUInt32(a + ".embedding_length", embedding);
        w.setUInt32(a + ".feed_forward_length", feedForward);
        w.setUInt32(a + ".attention.head_count", heads);
        w.setUInt32(a + ".attention.head_count_kv", kvHeads);
        w.setUInt32(a + ".context_length", trainedContext);
        w.setUInt32(a + ".rope.dimension_count", ropeDims);
        w.setFloat32(a + ".rope.freq_base", 10000.0f);
        w.setFloat32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
        if (fused) {
            w.setUInt32(a + ".attention.sliding_window", 0);
            if (longRope) {
                w.setUInt32(a + ".rope.scaling.original_context_length", originalContext);
                w.setFloat32(a + ".rope.scaling.attn_factor", attnFactor);
            }
        }

        const uint64_t e = embedding, f = feedForward, headDim = e / heads, kv = headDim * kvHeads;
        auto vector = [&](const std::string& name, uint64_t n, float scale, float offset) {
            const std::vector<float> values = random(name, n, scale, offset);
            w.addTensor(name, {n}, GgmlType::F32, [values] { return bytesOf(values); });
        };
        auto matrix = [&](const std::string& name, std::vector<Part> parts) {
            const uint64_t rowLength = parts.front().rowLength;
            uint64_t rows = 0;
            for (const Part& p : parts) rows += p.rows;
            const GgmlType type = matrixType;
            w.addTensor(name, {rowLength, rows}, type, [parts, type] {
                std::vector<uint8_t> bytes;
                for (const Part& p : parts) {
                    const std::vector<float> values = random(p.name, p.rowLength * p.rows, p.scale, 0.0f);
                    const size_t rowBytes = quantizedRowBytes(type, int64_t(p.rowLength));
                    for (uint64_t r = 0; r < p.rows; ++r) {
                        const size_t at = bytes.size();
                        bytes.resize(at + rowBytes);
                        if (type == GgmlType::F32)
                            std::memcpy(&bytes[at], &values[r * p.rowLength], rowBytes);
                        else
                            quantizeRow(type, &values[r * p.rowLength], &bytes[at], int64_t(p.rowLength));
                    }
                }
                return bytes;
            });
        };
        // Larger q and k than the rest: sharp attention, so that any error in
        // the rotation shows in the logits.
        const float s = 2.0f / std::sqrt(float(e)), sq = 6.0f / std::sqrt(float(e));

        matrix("token_embd.weight", {{"token_embd", e, vocab, s}});
        vector("output_norm.weight", e, 0.2f, 1.0f);
        matrix("output.weight", {{"output", e, vocab, 3 * s}});
        if (fused && longRope) {
            std::vector<float> shortFactors(ropeDims / 2), longFactors(ropeDims / 2);
            for (uint32_t i = 0; i < ropeDims / 2; ++i) {
                shortFactors[i] = 1.0f + 0.25f * float(i);
                longFactors[i] = 1.0f + 4.0f * float(i * i);
            }
            w.addTensor("rope_factors_short.weight", {ropeDims / 2}, GgmlType::F32, [shortFactors] { return bytesOf(shortFactors); });
            w.addTensor("rope_factors_long.weight", {ropeDims / 2}, GgmlType::F32, [longFactors] { return bytesOf(longFactors); });
        }
        for (uint32_t l = 0; l < layers; ++l) {
            const std::string p = "blk." + std::to_string(l) + ".";
            vector(p + "attn_norm.weight", e, 0.2f, 1.0f);
            const Part q{p + "q", e, e, sq}, k{p + "k", e, kv, sq}, v{p + "v", e, kv, s};
            const Part gate{p + "gate", e, f, s}, up{p + "up", e, f, s};
            if (fused) {
                matrix(p + "attn_qkv.weight", {q, k, v});
            } else {
                matrix(p + "attn_q.weight", {q});
                matrix(p + "attn_k.weight", {k});
                matrix(p + "attn_v.weight", {v});
            }
            matrix(p + "attn_output.weight", {{p + "o", e, e, s}});
            vector(p + "ffn_norm.weight", e, 0.2f, 1.0f);
            if (fused) {
                matrix(p + "ffn_up.weight", {gate, up});
            } else {
                matrix(p + "ffn_gate.weight", {gate});
                matrix(p + "ffn_up.weight", {up});
            }
            matrix(p + "ffn_down.weight", {{p + "down", f, e, 2.0f / std::sqrt(float(f))}});
        }
        w.write(path);
    }

private:
    // Rows of one logical matrix, its values drawn from its name.
    struct Part {
        std::string name;
        uint64_t rowLength = 0, rows = 0;
        float scale = 1.0f;
    };

    static std::vector<float> random(const std::string& name, uint64_t count, float scale, float offset) {
        uint64_t state = 1469598103934665603ull;  // FNV-1a of the name: the same values in either layout
        for (unsigned char ch : name) state = (state ^ ch) * 1099511628211ull;
        std::vector<float> values(count);
        for (float& v : values) {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            v = offset + scale * (float(state >> 40) / float(1 << 24) - 0.5f);
        }
        return values;
    }

    static std::vector<uint8_t> bytesOf(const std::vector<float>& values) {
        std::vector<uint8_t> bytes(values.size() * sizeof(float));
        std::memcpy(bytes.data(), values.data(), bytes.size());
        return bytes;
    }
};

}  // namespace nibble::test
