#pragma once
// GPT-2 style byte-level BPE (tokenizer.ggml.model "gpt2": SmolLM2, Llama 3,
// Qwen 2, ...): the pre-tokenizer cuts text into words, each word's bytes are
// mapped to GPT-2's byte characters, and adjacent symbols are merged by the
// rank of their pair in tokenizer.ggml.merges, lowest rank first (llama.cpp's
// llm_tokenizer_bpe_session).
#include "tokenizer/byte_level.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"

#include <unordered_map>

namespace nibble {

class BpeTokenizer final : public Tokenizer {
public:
    // Throws Error(InvalidFile) when the file has no usable merge list.
    BpeTokenizer(Vocabulary vocab, const gguf::GgufFile& file, const PreTokenizerConfig& config);

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override;

private:
    std::string normalTokenBytes(std::string_view text) const override;
    // One merge rule in an open-addressing table keyed by the symbol pair.
    struct Merge {
        uint64_t pair = kNoPair;
        int32_t rank = 0;
        int32_t result = -1;  // symbol id of the merged text
    };
    static constexpr uint64_t kNoPair = ~uint64_t(0);

    // Symbol ids: a token id when the text is in the vocabulary, otherwise an
    // id past the vocabulary for a string that only occurs in merges.
    int32_t symbolId(std::string_view text) const;
    int32_t internSymbol(std::string_view text);
    static uint64_t pairKey(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    void addMerge(uint64_t pair, int32_t rank, int32_t result);
    const Merge* findMerge(uint64_t pair) const;
    size_t slotOf(uint64_t pair) const { return (pair * 0x9E3779B97F4A7C15ull) >> mergeShift_; }
    void encodeWord(std::string_view word, std::vector<int32_t>& out) const;

    PreTokenizer preTokenizer_;
    bool ignoreMerges_;
    ByteLevelMap byteLevel_;
    std::vector<Merge> merges_;  // a power of two, at most half full
    int mergeShift_ = 64;
    std::vector<std::unique_ptr<std::string>> extraSymbols_;  // stable storage for the views below
    std::unordered_map<std::string_view, int32_t> extraIds_;
};

}  // namespace nibble
