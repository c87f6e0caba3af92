#include "tokenizer/spm_tokenizer.h"

#include "tokenizer/merge_symbols.h"

#include <queue>

namespace nibble {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

struct Bigram {
    float score = 0;
    int left = 0;
    int right = 0;
    size_t length = 0;  // bytes of the merged text, to detect stale entries
};

// Highest score first; on ties the leftmost pair, as llama.cpp.
struct LowerPriority {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocabulary vocab) : Tokenizer(std::move(vocab)) {}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const {
    std::vector<int32_t> out;
    out.reserve(text.size() / 2 + 2);
    if (addSpecial && vocab_.addBos()) out.push_back(vocab_.bos());

    // Every text fragment that follows a special token (or starts the input)
    // gets the space prefix, as llama.cpp does.
    bool afterSpecial = true;
    std::string escaped;
    for (const Fragment& f : splitter_.split(text, parseSpecial)) {
        if (f.token >= 0) {
            out.push_back(f.token);
            afterSpecial = true;
            continue;
        }
        escaped.clear();
        if (vocab_.addSpacePrefix() && afterSpecial) escaped += kSpaceMark;
        for (char c : f.text) {
            if (c == ' ')
                escaped += kSpaceMark;
            else
                escaped += c;
        }
        encodeEscaped(escaped, out);
        afterSpecial = false;
    }

    if (addSpecial && vocab_.addEos()) out.push_back(vocab_.eos());
    return out;
}

void SpmTokenizer::encodeEscaped(std::string_view text, std::vector<int32_t>& out) const {
    std::vector<MergeSymbol> symbols = splitIntoCharacters(text);
    if (symbols.empty()) return;

    std::priority_queue<Bigram, std::vector<Bigram>, LowerPriority> queue;
    const auto tryAdd = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const size_t length = symbols[left].length + symbols[right].length;
        const int32_t id = vocab_.find(text.substr(symbols[left].start, length));
        if (id < 0) return;
        queue.push({vocab_.score(id), left, right, length});
    };
    for (int k = 1; k < static_cast<int>(symbols.size()); ++k) tryAdd(k - 1, k);

    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        const MergeSymbol& left = symbols[b.left];
        const MergeSymbol& right = symbols[b.right];
        if (left.length == 0 || right.length == 0 || left.length + right.length != b.length) continue;
        mergeWithNext(symbols, b.left, b.right);
        tryAdd(left.prev, b.left);
        tryAdd(b.left, left.next);
    }

    // A symbol is a piece, or a character no piece covers: spelled as bytes.
    // (llama.cpp fails on a byte the vocabulary lacks; the unknown token stands in.)
    for (int k = 0; k != -1; k = symbols[k].next) {
        const std::string_view piece = text.substr(symbols[k].start, symbols[k].length);
        if (const int32_t id = vocab_.find(piece); id >= 0) {
            out.push_back(id);
            continue;
        }
        for (char c : piece) {
            const int32_t id = vocab_.byteToken(static_cast<uint8_t>(c));
            if (id >= 0)
                out.push_back(id);
            else if (vocab_.unk() >= 0)
                out.push_back(vocab_.unk());
        }
    }
}

std::string SpmTokenizer::normalTokenBytes(std::string_view text) const {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        if (text.substr(pos, kSpaceMark.size()) == kSpaceMark) {
            out += ' ';
            pos += kSpaceMark.size();
        } else {
            out += text[pos++];
        }
    }
    return out;
}

}  // namespace nibble
