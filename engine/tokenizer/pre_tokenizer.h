#pragma once
// The regex pre-tokenizer of byte-level BPE: cuts text into words that BPE
// then merges independently. The patterns are llama.cpp's, chosen by the
// GGUF key tokenizer.ggml.pre, and run by PCRE2 in UTF + Unicode-property
// mode, so \p{L}, \p{N} and \s follow the Unicode tables.
//
// As in llama.cpp, the patterns apply in sequence: each one cuts every piece
// left by the previous ones, and text between matches stays a piece too.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nibble {

// How one tokenizer.ggml.pre value behaves.
struct PreTokenizerConfig {
    std::vector<std::string> patterns;
    bool ignoreMerges = false;        // a word that is a whole token is taken as is
    std::optional<bool> addBos;       // default for add_bos_token, when the family sets one
    bool hasBos = true;               // false: the family has no BOS token (ChatGLM)
};

// The behaviour for a tokenizer.ggml.pre value ("" means llama.cpp's
// default), or nullopt for one we do not know.
std::optional<PreTokenizerConfig> preTokenizerConfig(std::string_view pre);

class PreTokenizer {
public:
    // Throws Error(Internal) when a pattern does not compile.
    explicit PreTokenizer(const std::vector<std::string>& patterns);
    ~PreTokenizer();
    PreTokenizer(PreTokenizer&&) noexcept;
    PreTokenizer& operator=(PreTokenizer&&) noexcept;

    // Pieces of `text`, which must be valid UTF-8, in order; together they
    // cover the text exactly.
    std::vector<std::string_view> split(std::string_view text) const;

private:
    struct Regex;
    std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace nibble
