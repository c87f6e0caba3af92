#pragma once
// The token table of a model as read from GGUF metadata (tokenizer.ggml.*):
// token texts, scores, kinds, the special token ids and the flags that steer
// encoding. Loading follows llama.cpp's llama_vocab::load, including its
// defaults and its by-name detection of end-of-generation tokens, so that a
// file behaves here as it does there.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nibble::gguf {
class GgufFile;
}

namespace nibble {

enum class VocabKind { SentencePiece, BytePairEncoding };

// Token attributes as bit flags, like llama.cpp's llama_token_attr.
enum TokenAttr : uint8_t {
    kAttrNormal = 1 << 0,
    kAttrUnknown = 1 << 1,
    kAttrControl = 1 << 2,
    kAttrUserDefined = 1 << 3,
    kAttrUnused = 1 << 4,
    kAttrByte = 1 << 5,
    kAttrLstrip = 1 << 6,  // a special token that swallows the whitespace before it
    kAttrRstrip = 1 << 7,  // ... or after it
};

// What the caller knows before the token table is read: the defaults that
// depend on the tokenizer model and pre-tokenizer.
struct VocabDefaults {
    VocabKind kind = VocabKind::SentencePiece;
    int32_t bos = -1;
    int32_t eos = -1;
    int32_t unk = -1;
    bool addBos = false;
    bool addSpacePrefix = false;
};

class Vocabulary {
public:
    // Throws Error(InvalidFile) when the table is missing or inconsistent.
    static Vocabulary fromGguf(const gguf::GgufFile& file, const VocabDefaults& defaults);

    Vocabulary(Vocabulary&&) noexcept = default;
    Vocabulary& operator=(Vocabulary&&) noexcept = default;
    Vocabulary(const Vocabulary&) = delete;
    Vocabulary& operator=(const Vocabulary&) = delete;

    int32_t size() const { return static_cast<int32_t>(scores_.size()); }
    bool contains(int32_t id) const { return id >= 0 && id < size(); }
    std::string_view text(int32_t id) const {
        return std::string_view(blob_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
    }
    float score(int32_t id) const { return scores_[id]; }
    uint8_t attr(int32_t id) const { return attrs_[id]; }
    bool is(int32_t id, TokenAttr a) const { return (attrs_[id] & a) != 0; }
    // The id whose text is exactly `text`, or -1.
    int32_t find(std::string_view text) const;
    // The token for one raw byte: "<0xXX>", else the byte itself as a token, else -1.
    int32_t byteToken(uint8_t byte) const { return byteTokens_[byte]; }
    // The byte a <0xXX> token stands for.
    uint8_t byteValue(int32_t id) const;

    VocabKind kind() const { return kind_; }
    int32_t bos() const { return bos_; }
    int32_t eos() const { return eos_; }
    int32_t eot() const { return eot_; }
    int32_t eom() const { return eom_; }
    int32_t unk() const { return unk_; }
    int32_t pad() const { return pad_; }
    bool addBos() const { return addBos_; }
    bool addEos() const { return addEos_; }
    bool addSpacePrefix() const { return addSpacePrefix_; }
    bool isEndOfGeneration(int32_t id) const { return contains(id) && eog_[id]; }
    // Control, user-defined and unknown tokens, longest text first: the
    // tokens the special-token splitter looks for.
    const std::vector<int32_t>& specialTokens() const { return special_; }

private:
    Vocabulary() = default;
    void readTokens(const gguf::GgufFile& file);
    void readSpecialIds(const gguf::GgufFile& file, const VocabDefaults& defaults);
    void detectEndOfGeneration(const gguf::GgufFile& file);
    void applyModelQuirks(const gguf::GgufFile& file);

    VocabKind kind_ = VocabKind::SentencePiece;
    std::vector<char> blob_;         // every token text, back to back
    std::vector<uint32_t> offsets_;  // size() + 1 offsets into blob_
    std::vector<float> scores_;
    std::vector<uint8_t> attrs_;
    // Text -> id as an open-addressing table: loading 262k tokens into node
    // based maps costs hundreds of milliseconds, this a small fraction.
    struct Slot {
        uint32_t hash = 0;  // high bits of the text's hash, to skip most comparisons
        int32_t id = -1;
    };
    std::vector<Slot> slots_;  // a power of two, at most half full
    int32_t byteTokens_[256] = {};
    std::vector<bool> eog_;
    std::vector<int32_t> special_;
    int32_t bos_ = -1, eos_ = -1, eot_ = -1, eom_ = -1, unk_ = -1, pad_ = -1;
    bool addBos_ = false, addEos_ = false, addSpacePrefix_ = false;
};

}  // namespace nibble
