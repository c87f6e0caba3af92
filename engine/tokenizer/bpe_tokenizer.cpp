#include "tokenizer/bpe_tokenizer.h"

#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "text/utf8.h"
#include "tokenizer/merge_symbols.h"

#include <queue>

namespace nibble {

namespace {

struct Bigram {
    int32_t rank = 0;
    int left = 0;
    int right = 0;
    int32_t leftId = -1;   // the symbols as they were when the pair was queued,
    int32_t rightId = -1;  // to skip entries made stale by other merges
    int32_t result = -1;
};

// Lowest rank first; on ties the leftmost pair, as llama.cpp.
struct LowerPriority {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

}  // namespace

BpeTokenizer::BpeTokenizer(Vocabulary vocab, const gguf::GgufFile& file, const PreTokenizerConfig& config)
    : Tokenizer(std::move(vocab)), preTokenizer_(config.patterns), ignoreMerges_(config.ignoreMerges) {
    const gguf::Value* list = file.find("tokenizer.ggml.merges");
    if (!list || list->type != gguf::ValueType::Array || list->elemType != gguf::ValueType::String)
        throw Error(ErrorKind::InvalidFile, file.displayName() +
                                                ": the BPE tokenizer has no merge list (tokenizer.ggml.merges is "
                                                "missing or not a list of strings)");
    size_t capacity = 16;
    mergeShift_ = 60;
    while (capacity < 2 * list->strings.size()) capacity *= 2, --mergeShift_;
    merges_.assign(capacity, Merge{});
    std::string joined;
    for (size_t rank = 0; rank < list->strings.size(); ++rank) {
        const std::string_view merge = list->strings[rank];
        // "first second", cut at the first space after the first byte, as llama.cpp.
        const size_t space = merge.find(' ', 1);
        if (space == std::string_view::npos) continue;
        const std::string_view first = merge.substr(0, space);
        const std::string_view second = merge.substr(space + 1);
        const int32_t left = internSymbol(first);
        const int32_t right = internSymbol(second);
        joined.assign(first).append(second);
        addMerge(pairKey(left, right), static_cast<int32_t>(rank), internSymbol(joined));
    }
}

void BpeTokenizer::addMerge(uint64_t pair, int32_t rank, int32_t result) {
    const size_t mask = merges_.size() - 1;
    for (size_t k = slotOf(pair);; k = (k + 1) & mask) {
        if (merges_[k].pair == pair) return;  // the first occurrence of a pair keeps its rank
        if (merges_[k].pair == kNoPair) {
            merges_[k] = {pair, rank, result};
            return;
        }
    }
}

const BpeTokenizer::Merge* BpeTokenizer::findMerge(uint64_t pair) const {
    const size_t mask = merges_.size() - 1;
    for (size_t k = slotOf(pair);; k = (k + 1) & mask) {
        if (merges_[k].pair == pair) return &merges_[k];
        if (merges_[k].pair == kNoPair) return nullptr;
    }
}

int32_t BpeTokenizer::symbolId(std::string_view text) const {
    if (const int32_t id = vocab_.find(text); id >= 0) return id;
    auto it = extraIds_.find(text);
    return it == extraIds_.end() ? -1 : it->second;
}

int32_t BpeTokenizer::internSymbol(std::string_view text) {
    if (const int32_t id = symbolId(text); id >= 0) return id;
    extraSymbols_.push_back(std::make_unique<std::string>(text));
    const auto id = static_cast<int32_t>(vocab_.size() + extraIds_.size());
    extraIds_.emplace(*extraSymbols_.back(), id);
    return id;
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const {
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (addSpecial && vocab_.addBos()) out.push_back(vocab_.bos());
    for (const Fragment& f : splitter_.split(text, parseSpecial)) {
        if (f.token >= 0) {
            out.push_back(f.token);
            continue;
        }
        // PCRE2 needs valid UTF-8; llama.cpp likewise reads ill-formed bytes as U+FFFD.
        const std::string valid = utf8::isValid(f.text) ? std::string(f.text) : utf8::sanitize(f.text);
        for (std::string_view word : preTokenizer_.split(valid)) encodeWord(byteLevel_.encode(word), out);
    }
    if (addSpecial && vocab_.addEos()) out.push_back(vocab_.eos());
    return out;
}

void BpeTokenizer::encodeWord(std::string_view word, std::vector<int32_t>& out) const {
    if (ignoreMerges_) {
        if (const int32_t id = vocab_.find(word); id >= 0) {
            out.push_back(id);
            return;
        }
    }

    std::vector<MergeSymbol> symbols = splitIntoCharacters(word);
    for (MergeSymbol& s : symbols) s.id = symbolId(word.substr(s.start, s.length));

    std::priority_queue<Bigram, std::vector<Bigram>, LowerPriority> queue;
    const auto tryAdd = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const int32_t a = symbols[left].id, b = symbols[right].id;
        if (a < 0 || b < 0) return;
        const Merge* merge = findMerge(pairKey(a, b));
        if (!merge) return;
        queue.push({merge->rank, left, right, a, b, merge->result});
    };
    for (int k = 1; k < static_cast<int>(symbols.size()); ++k) tryAdd(k - 1, k);

    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        MergeSymbol& left = symbols[b.left];
        const MergeSymbol& right = symbols[b.right];
        if (left.length == 0 || right.length == 0 || left.id != b.leftId || right.id != b.rightId) continue;
        mergeWithNext(symbols, b.left, b.right);
        left.id = b.result;
        tryAdd(left.prev, b.left);
        tryAdd(b.left, left.next);
    }

    for (int k = 0; k != -1 && !symbols.empty(); k = symbols[k].next) {
        const MergeSymbol& s = symbols[k];
        if (vocab_.contains(s.id)) {
            out.push_back(s.id);
            continue;
        }
        // Not a token: llama.cpp emits each byte of the symbol's text that
        // happens to be a token itself, and drops the rest.
        for (char c : word.substr(s.start, s.length)) {
            if (const int32_t id = vocab_.find(std::string_view(&c, 1)); id >= 0) out.push_back(id);
        }
    }
}

std::string BpeTokenizer::normalTokenBytes(std::string_view text) const {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const int n = utf8::wellFormedPrefix(text.substr(pos));
        const size_t length = n > 0 ? static_cast<size_t>(n) : 1;
        // A character outside GPT-2's byte alphabet has no byte; llama.cpp
        // spells it out instead of dropping it silently.
        if (const int byte = n > 0 ? byteLevel_.decode(utf8::decode(text.substr(pos, length))) : -1; byte >= 0) {
            out += static_cast<char>(byte);
        } else {
            out += "[UNK_BYTE_0x";
            static constexpr char kHex[] = "0123456789abcdef";
            for (char c : text.substr(pos, length)) {
                out += kHex[static_cast<uint8_t>(c) >> 4];
                out += kHex[static_cast<uint8_t>(c) & 15];
            }
            out += std::string(text) + "]";
        }
        pos += length;
    }
    return out;
}

}  // namespace nibble
