#pragma once
// Cuts text at the special tokens it contains, before any other tokenization,
// as llama.cpp's tokenizer_st_partition does: special tokens are tried longest
// first, each splitting every remaining text piece at all its occurrences.
// User-defined tokens always split; control and unknown tokens only when the
// caller parses special tokens, so that typed text like "<|im_start|>" stays
// text otherwise. Tokens marked to strip whitespace take the spaces beside them.
#include "tokenizer/vocabulary.h"

#include <cstdint>
#include <string_view>
#include <vector>

namespace nibble {

// A piece of the input: either text still to tokenize or one special token.
struct Fragment {
    std::string_view text;  // empty for a token
    int32_t token = -1;     // -1 for text
};

class SpecialTokenSplitter {
public:
    explicit SpecialTokenSplitter(const Vocabulary& vocab);

    std::vector<Fragment> split(std::string_view text, bool parseSpecial) const;

private:
    // The special tokens occurring in `text`, in the order they are tried.
    std::vector<int32_t> tokensIn(std::string_view text, bool parseSpecial) const;

    // A trie of the special token texts: one walk from each position of the
    // input finds every special token starting there, and stops at the first
    // byte no token continues with.
    struct Node {
        std::vector<std::pair<uint8_t, int32_t>> children;  // byte, node index
        int32_t rank = -1;  // the special token ending here, by try order
    };
    int32_t child(int32_t node, uint8_t byte) const;

    const Vocabulary& vocab_;
    std::vector<Node> trie_;  // trie_[0] is the root
};

}  // namespace nibble
