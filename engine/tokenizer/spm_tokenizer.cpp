#include "tokenizer/spm_tokenizer.h"

#include "text/utf8.h"

#include <queue>

namespace nibble {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

// A run of the text; merged-away symbols keep length 0.
struct Symbol {
    size_t start = 0;
    size_t length = 0;
    int prev = -1;
    int next = -1;
};

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
    std::vector<Symbol> symbols;
    for (size_t pos = 0; pos < text.size();) {
        Symbol s;
        s.start = pos;
        s.length = std::min(utf8::leadLength(text[pos]), text.size() - pos);
        pos += s.length;
        s.prev = static_cast<int>(symbols.size()) - 1;
        s.next = pos == text.size() ? -1 : static_cast<int>(symbols.size()) + 1;
        symbols.push_back(s);
    }
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
        Symbol& left = symbols[b.left];
        Symbol& right = symbols[b.right];
        if (left.length == 0 || right.length == 0 || left.length + right.length != b.length) continue;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = b.left;
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

std::string SpmTokenizer::tokenBytes(int32_t id) const {
    checkId(id);
    const uint8_t attr = vocab_.attr(id);
    if (attr & (kAttrControl | kAttrUnknown)) return {};
    const std::string_view text = vocab_.text(id);
    if (attr & kAttrUserDefined) return std::string(text);
    if (attr & kAttrNormal) {
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
    if (attr & kAttrByte) return std::string(1, static_cast<char>(vocab_.byteValue(id)));
    return {};
}

}  // namespace nibble
