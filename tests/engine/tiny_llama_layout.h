#pragma once
// The metadata and tensor list of a one-layer llama, for tests that write
// their own small model files and differ only in what each tensor holds.
#include "gguf/gguf_writer.h"
#include "tiny_vocabulary.h"

#include <cstdint>
#include <string>

namespace nibble::test {

struct TinyLlamaShape {
    uint64_t width = 32;
    uint64_t feedForward = 64;
    uint64_t heads = 2;
    uint64_t kvHeads = 1;
    uint32_t context = 2048;
    uint32_t vocabulary = 300;     // tokenizer entries
    uint64_t embeddingRows = 300;  // rows of token_embd and output (= vocabulary in a sound file)
};

// Architecture, shape and vocabulary keys.
inline void writeTinyLlamaHeader(gguf::GgufWriter& w, const TinyLlamaShape& s, const std::string& name) {
    w.setString("general.architecture", "llama");
    w.setString("general.name", name);
    w.setUInt32("llama.block_count", 1);
    w.setUInt32("llama.embedding_length", uint32_t(s.width));
    w.setUInt32("llama.feed_forward_length", uint32_t(s.feedForward));
    w.setUInt32("llama.attention.head_count", uint32_t(s.heads));
    w.setUInt32("llama.attention.head_count_kv", uint32_t(s.kvHeads));
    w.setUInt32("llama.context_length", s.context);
    w.setFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    writeTinyVocabulary(w, s.vocabulary);
}

// Every tensor in file order: matrix(name, rowLength, rows) for the
// matrices, norm(name, length) for the norm weights.
template <class Matrix, class Norm>
void forEachTinyLlamaTensor(const TinyLlamaShape& s, Matrix&& matrix, Norm&& norm) {
    const uint64_t e = s.width, f = s.feedForward, kv = s.width / s.heads * s.kvHeads;
    matrix("token_embd.weight", e, s.embeddingRows);
    norm("output_norm.weight", e);
    matrix("output.weight", e, s.embeddingRows);
    norm("blk.0.attn_norm.weight", e);
    matrix("blk.0.attn_q.weight", e, e);
    matrix("blk.0.attn_k.weight", e, kv);
    matrix("blk.0.attn_v.weight", e, kv);
    matrix("blk.0.attn_output.weight", e, e);
    norm("blk.0.ffn_norm.weight", e);
    matrix("blk.0.ffn_gate.weight", e, f);
    matrix("blk.0.ffn_up.weight", e, f);
    matrix("blk.0.ffn_down.weight", f, e);
}

}  // namespace nibble::test
