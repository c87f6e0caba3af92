#pragma once
// The working state of the SentencePiece and BPE merge loops: the text as a
// doubly linked list of symbols that start as single characters and are
// merged pairwise in place.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nibble {

struct MergeSymbol {
    size_t start = 0;
    size_t length = 0;  // 0 once merged into its left neighbour
    int32_t id = -1;    // the BPE symbol id; SentencePiece matches text instead
    int prev = -1;
    int next = -1;
};

// One symbol per character, its length read from the lead byte alone as
// llama.cpp does (a truncated last character keeps the bytes there are).
std::vector<MergeSymbol> splitIntoCharacters(std::string_view text);

// Appends symbols[right] to its left neighbour symbols[left] and unlinks it.
void mergeWithNext(std::vector<MergeSymbol>& symbols, int left, int right);

}  // namespace nibble
