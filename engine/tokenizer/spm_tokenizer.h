#pragma once
// SentencePiece vocabularies (tokenizer.ggml.model "llama": Llama 1/2,
// stories260K, Gemma): spaces become U+2581, adjacent pieces are merged
// greedily by the score of the piece they form (llama.cpp's
// llm_tokenizer_spm), and text no piece covers falls back to <0xXX> byte
// tokens.
#include "tokenizer/tokenizer.h"

namespace nibble {

class SpmTokenizer final : public Tokenizer {
public:
    explicit SpmTokenizer(Vocabulary vocab);

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override;

private:
    std::string normalTokenBytes(std::string_view text) const override;
    // Tokenizes text whose spaces are already escaped to U+2581.
    void encodeEscaped(std::string_view text, std::vector<int32_t>& out) const;
};

}  // namespace nibble
