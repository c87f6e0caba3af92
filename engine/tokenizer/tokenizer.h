#pragma once
// Text <-> token ids for a model, built from the GGUF tokenizer metadata and
// behaving as llama.cpp's tokenizer does for the same file: SentencePiece
// vocabularies (tokenizer.ggml.model "llama") and GPT-2 byte-level BPE
// ("gpt2") with the pre-tokenizer named by tokenizer.ggml.pre.
//
// Thread safety: a built tokenizer is immutable; every const method may be
// called from several threads at once.
#include "tokenizer/special_token_splitter.h"
#include "tokenizer/utf8_stream_decoder.h"
#include "tokenizer/vocabulary.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nibble::gguf {
class GgufFile;
}

namespace nibble {

class Tokenizer {
public:
    // Throws Error(Unsupported) for a tokenizer model or pre-tokenizer we do
    // not know, Error(InvalidFile) for a missing or inconsistent vocabulary.
    static std::unique_ptr<Tokenizer> fromGguf(const gguf::GgufFile& file);
    virtual ~Tokenizer() = default;
    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;

    // addSpecial: start with BOS and end with EOS as the metadata asks
    // (add_bos_token, add_eos_token). parseSpecial: text spelling a control
    // token ("<|im_start|>") becomes that token; otherwise it is plain text.
    virtual std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const = 0;

    // The raw bytes this token puts into output text: byte tokens decoded,
    // SentencePiece's U+2581 back to spaces, GPT-2 byte characters un-mapped.
    // Control, unknown and unused tokens give "". Need not be valid UTF-8 on
    // its own (see Utf8StreamDecoder). Throws Error(InvalidArgument) for an id
    // outside the vocabulary.
    std::string tokenBytes(int32_t id) const;
    // As tokenBytes, but control and unknown tokens render as their text
    // (llama.cpp's token_to_piece with special = true).
    std::string tokenText(int32_t id) const;
    // The token's text exactly as stored in the vocabulary, for display and
    // debugging ("▁Once", "Ġhello", "<0x0A>", "<|im_end|>").
    std::string tokenPiece(int32_t id) const;

    // The concatenated tokenBytes. When the vocabulary adds a space prefix
    // (SentencePiece with add_space_prefix), one leading space is dropped from
    // the first token that is not a control token, because encode put it
    // there; so decode(encode(text, addSpecial, false)) == text. (llama.cpp
    // drops it only when the very first id is that token: after a BOS it
    // keeps the space.)
    std::string decode(std::span<const int32_t> ids) const;

    int32_t vocabSize() const { return vocab_.size(); }
    int32_t bos() const { return vocab_.bos(); }  // -1 when absent
    int32_t eos() const { return vocab_.eos(); }  // -1 when absent
    bool addBos() const { return vocab_.addBos(); }
    bool addEos() const { return vocab_.addEos(); }
    // EOS, end-of-turn/-message and the other tokens llama.cpp stops on
    // (<|im_end|>, <end_of_turn>, <|eot_id|>, ...).
    bool isEndOfGeneration(int32_t id) const { return vocab_.isEndOfGeneration(id); }
    bool isControl(int32_t id) const { return vocab_.contains(id) && vocab_.is(id, kAttrControl); }

    const Vocabulary& vocabulary() const { return vocab_; }

protected:
    explicit Tokenizer(Vocabulary vocab);
    // Fails with Error(InvalidArgument) for an id outside the vocabulary.
    void checkId(int32_t id) const;
    // tokenBytes of a normal token, whose stored text each vocabulary kind
    // spells its own way.
    virtual std::string normalTokenBytes(std::string_view text) const = 0;

    Vocabulary vocab_;
    SpecialTokenSplitter splitter_;
};

}  // namespace nibble
