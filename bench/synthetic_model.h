#pragma once
// Llama-architecture GGUF files of a real model's shape with random weights,
// so the inference benchmark can measure a 1B or 8B model without fetching
// one. Every matrix is written directly as random blocks of the target type
// (random quants under small fp16 scales, so activations stay finite);
// quantizing billions of random floats would take far longer. Norm weights are
// 1. The tokenizer is a SentencePiece vocabulary of the shape's size:
// <unk> <s> </s>, the 256 byte tokens, then made-up pieces.
#include "tensor/ggml_type.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace nibble::bench {

struct SyntheticShape {
    std::string name;
    uint32_t layers = 0;
    uint32_t embedding = 0;
    uint32_t feedForward = 0;
    uint32_t heads = 0;
    uint32_t kvHeads = 0;
    uint32_t vocab = 0;
    bool tiedOutput = false;  // the output matrix is the token embedding, as in Llama 3.2 1B
};

// "llama-1b" (Llama 3.2 1B), "llama-8b" (Llama 3 8B) or "tiny" (small enough for lavapipe).
std::optional<SyntheticShape> syntheticShape(std::string_view name);

// The random-weight types: Q4_0, Q4_K, Q8_0.
std::optional<GgmlType> syntheticWeightType(std::string_view name);

// Writes the model to `path` (atomically). Throws nibble::Error on I/O failures.
void writeSyntheticModel(const SyntheticShape& shape, GgmlType type, const std::filesystem::path& path,
                         uint64_t seed = 1);

}  // namespace nibble::bench
