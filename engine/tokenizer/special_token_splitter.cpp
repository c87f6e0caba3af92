#include "tokenizer/special_token_splitter.h"

#include <algorithm>

namespace nibble {

namespace {

bool splits(const Vocabulary& vocab, int32_t id, bool parseSpecial) {
    return parseSpecial || !vocab.is(id, static_cast<TokenAttr>(kAttrControl | kAttrUnknown));
}

}  // namespace

SpecialTokenSplitter::SpecialTokenSplitter(const Vocabulary& vocab) : vocab_(vocab), rank_(vocab.size(), -1) {
    const auto& special = vocab.specialTokens();
    for (size_t k = 0; k < special.size(); ++k) {
        const int32_t id = special[k];
        rank_[id] = static_cast<int32_t>(k);
        const std::string_view text = vocab.text(id);
        auto& lengths = lengthsByFirstByte_[static_cast<uint8_t>(text[0])];
        const auto length = static_cast<uint32_t>(text.size());
        if (std::find(lengths.begin(), lengths.end(), length) == lengths.end()) lengths.push_back(length);
    }
}

std::vector<int32_t> SpecialTokenSplitter::tokensIn(std::string_view text, bool parseSpecial) const {
    std::vector<int32_t> found;
    for (size_t pos = 0; pos < text.size(); ++pos) {
        for (uint32_t length : lengthsByFirstByte_[static_cast<uint8_t>(text[pos])]) {
            if (length > text.size() - pos) continue;
            const int32_t id = vocab_.find(text.substr(pos, length));
            if (id >= 0 && rank_[id] >= 0 && splits(vocab_, id, parseSpecial)) found.push_back(id);
        }
    }
    std::sort(found.begin(), found.end(), [&](int32_t a, int32_t b) { return rank_[a] < rank_[b]; });
    found.erase(std::unique(found.begin(), found.end()), found.end());
    return found;
}

std::vector<Fragment> SpecialTokenSplitter::split(std::string_view text, bool parseSpecial) const {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({text, -1});
    for (int32_t id : tokensIn(text, parseSpecial)) {
        const std::string_view special = vocab_.text(id);
        std::vector<Fragment> next;
        next.reserve(fragments.size() + 2);
        for (const Fragment& f : fragments) {
            if (f.token >= 0) {
                next.push_back(f);
                continue;
            }
            std::string_view rest = f.text;
            for (size_t at = rest.find(special); at != std::string_view::npos; at = rest.find(special)) {
                if (at > 0) next.push_back({rest.substr(0, at), -1});
                next.push_back({{}, id});
                rest.remove_prefix(at + special.size());
            }
            if (!rest.empty()) next.push_back({rest, -1});
        }
        fragments = std::move(next);
    }
    return fragments;
}

}  // namespace nibble
