#pragma once
// The SentencePiece vocabulary the tests' tiny GGUF files carry: the three
// control tokens, the 256 byte tokens, then made-up words up to the size.
#include "gguf/gguf_writer.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace nibble::test {

inline void writeTinyVocabulary(gguf::GgufWriter& w, uint32_t size) {
    std::vector<std::string> pieces = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> kinds = {2, 3, 3};  // unknown, control, control
    for (int b = 0; b < 256; ++b) {
        char piece[8];
        std::snprintf(piece, sizeof piece, "<0x%02X>", b);
        pieces.push_back(piece);
        kinds.push_back(6);  // byte
    }
    for (uint32_t i = 0; pieces.size() < size; ++i) {
        pieces.push_back("\xe2\x96\x81w" + std::to_string(i));  // U+2581, SentencePiece's word start
        kinds.push_back(1);
    }
    std::vector<float> scores(pieces.size());
    for (size_t i = 0; i < scores.size(); ++i) scores[i] = -float(i);
    w.setString("tokenizer.ggml.model", "llama");
    w.setStringArray("tokenizer.ggml.tokens", pieces);
    w.setFloat32Array("tokenizer.ggml.scores", scores);
    w.setInt32Array("tokenizer.ggml.token_type", kinds);
}

}  // namespace nibble::test
