#include "tokenizer/merge_symbols.h"

#include "text/utf8.h"

#include <algorithm>

namespace nibble {

std::vector<MergeSymbol> splitIntoCharacters(std::string_view text) {
    std::vector<MergeSymbol> symbols;
    for (size_t pos = 0; pos < text.size();) {
        MergeSymbol s;
        s.start = pos;
        s.length = std::min(utf8::leadLength(text[pos]), text.size() - pos);
        pos += s.length;
        s.prev = static_cast<int>(symbols.size()) - 1;
        s.next = pos == text.size() ? -1 : static_cast<int>(symbols.size()) + 1;
        symbols.push_back(s);
    }
    return symbols;
}

void mergeWithNext(std::vector<MergeSymbol>& symbols, int left, int right) {
    MergeSymbol& l = symbols[left];
    MergeSymbol& r = symbols[right];
    l.length += r.length;
    r.length = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = left;
}

}  // namespace nibble
