#pragma once
// Cuts text at the special tokens it contains, before any other tokenization,
// as llama.cpp's tokenizer_st_partition does: special tokens are tried longest
// first, each splitting every remaining text piece at all its occurrences.
// User-defined tokens always split; control and unknown tokens only when the
// caller parses special tokens, so that typed text like "<|im_start|>" stays
// text otherwise.
#include "tokenizer/vocabulary.h"

#include <array>
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

    const Vocabulary& vocab_;
    std::vector<int32_t> rank_;  // position of each special token in try order, -1 otherwise
    // Text lengths of the special tokens starting with each byte, so a scan
    // looks up only the lengths that can match there.
    std::array<std::vector<uint32_t>, 256> lengthsByFirstByte_;
};

}  // namespace nibble
