#include "tokenizer/special_token_splitter.h"

namespace nibble {

namespace {

bool splits(const Vocabulary& vocab, int32_t id, bool parseSpecial) {
    return parseSpecial || !vocab.is(id, static_cast<TokenAttr>(kAttrControl | kAttrUnknown));
}

// C isspace in the "C" locale, as llama.cpp strips.
bool isSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

SpecialTokenSplitter::SpecialTokenSplitter(const Vocabulary& vocab) : vocab_(vocab), trie_(1) {
    const auto& special = vocab.specialTokens();
    for (size_t rank = 0; rank < special.size(); ++rank) {
        int32_t node = 0;
        for (char c : vocab.text(special[rank])) {
            const auto byte = static_cast<uint8_t>(c);
            int32_t next = child(node, byte);
            if (next < 0) {
                next = static_cast<int32_t>(trie_.size());
                trie_[node].children.emplace_back(byte, next);
                trie_.emplace_back();
            }
            node = next;
        }
        trie_[node].rank = static_cast<int32_t>(rank);
    }
}

int32_t SpecialTokenSplitter::child(int32_t node, uint8_t byte) const {
    for (const auto& [b, next] : trie_[node].children)
        if (b == byte) return next;
    return -1;
}

std::vector<int32_t> SpecialTokenSplitter::tokensIn(std::string_view text, bool parseSpecial) const {
    const auto& special = vocab_.specialTokens();
    std::vector<bool> seen(special.size());
    for (size_t pos = 0; pos < text.size(); ++pos) {
        int32_t node = 0;
        for (size_t k = pos; k < text.size(); ++k) {
            node = child(node, static_cast<uint8_t>(text[k]));
            if (node < 0) break;
            const int32_t rank = trie_[node].rank;
            if (rank >= 0 && splits(vocab_, special[rank], parseSpecial)) seen[rank] = true;
        }
    }
    std::vector<int32_t> found;
    for (size_t rank = 0; rank < special.size(); ++rank)
        if (seen[rank]) found.push_back(special[rank]);
    return found;
}

std::vector<Fragment> SpecialTokenSplitter::split(std::string_view text, bool parseSpecial) const {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({text, -1});
    for (int32_t id : tokensIn(text, parseSpecial)) {
        const std::string_view special = vocab_.text(id);
        const bool lstrip = vocab_.is(id, kAttrLstrip);
        const bool rstrip = vocab_.is(id, kAttrRstrip);
        std::vector<Fragment> next;
        next.reserve(fragments.size() + 2);
        for (const Fragment& f : fragments) {
            if (f.token >= 0) {
                next.push_back(f);
                continue;
            }
            std::string_view rest = f.text;
            for (size_t at = rest.find(special); at != std::string_view::npos; at = rest.find(special)) {
                std::string_view left = rest.substr(0, at);
                if (lstrip)
                    while (!left.empty() && isSpace(left.back())) left.remove_suffix(1);
                if (!left.empty()) next.push_back({left, -1});
                next.push_back({{}, id});
                rest.remove_prefix(at + special.size());
                if (rstrip)
                    while (!rest.empty() && isSpace(rest.front())) rest.remove_prefix(1);
            }
            if (!rest.empty()) next.push_back({rest, -1});
        }
        fragments = std::move(next);
    }
    return fragments;
}

}  // namespace nibble
