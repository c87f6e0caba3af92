#include "tokenizer/vocabulary.h"

#include "gguf/gguf_reader.h"
#include "nibble/error.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <limits>

namespace nibble {

namespace {

using gguf::ValueType;

[[noreturn]] void fail(const gguf::GgufFile& file, const std::string& problem) {
    throw Error(ErrorKind::InvalidFile, file.displayName() + ": " + problem);
}

// GGUF token types (llama.cpp's llama_token_type) to attribute flags.
uint8_t attrFromType(int64_t type) {
    switch (type) {
    case 1: return kAttrNormal;
    case 2: return kAttrUnknown;
    case 3: return kAttrControl;
    case 4: return kAttrUserDefined;
    case 5: return kAttrUnused;
    case 6: return kAttrByte;
    default: return 0;  // undefined: rendered as nothing, like llama.cpp
    }
}

// The texts llama.cpp recognises as end-of-generation tokens when the file
// does not list them (llama_vocab::impl::load).
constexpr std::array<std::string_view, 22> kEndOfGenerationTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~[",
};
constexpr std::array<std::string_view, 11> kEndOfTurnTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
};
// Fill-in-the-middle padding, repository and file separators also end generation.
constexpr std::array<std::string_view, 5> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
constexpr std::array<std::string_view, 5> kFimRepoTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
                                                           "<reponame>"};
constexpr std::array<std::string_view, 1> kFimSepTexts = {"<|file_sep|>"};

}  // namespace

Vocabulary Vocabulary::fromGguf(const gguf::GgufFile& file, const VocabDefaults& defaults) {
    Vocabulary v;
    v.kind_ = defaults.kind;
    v.readTokens(file);
    v.readSpecialIds(file, defaults);
    v.detectEndOfGeneration(file);

    for (int32_t id = 0; id < v.size(); ++id)
        if (v.attrs_[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v.special_.push_back(id);
    std::stable_sort(v.special_.begin(), v.special_.end(),
                     [&](int32_t a, int32_t b) { return v.text(a).size() > v.text(b).size(); });
    v.applyModelQuirks(file);
    return v;
}

void Vocabulary::applyModelQuirks(const gguf::GgufFile& file) {
    // GGUF has no field for whitespace stripping around special tokens, so
    // llama.cpp sets it by model name; Phi-3's chat format depends on it.
    std::string name(file.getString("general.name").value_or(""));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
    for (int32_t id : special_) attrs_[id] |= kAttrRstrip;
    if (const int32_t id = find("</s>"); id >= 0) attrs_[id] |= kAttrRstrip;
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"})
        if (const int32_t id = find(t); id >= 0) attrs_[id] &= static_cast<uint8_t>(~kAttrRstrip);
}

void Vocabulary::readTokens(const gguf::GgufFile& file) {
    const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
    if (!tokens || tokens->type != ValueType::Array || tokens->elemType != ValueType::String)
        fail(file, "the model has no token list (tokenizer.ggml.tokens is missing or not a list of strings)");
    const size_t n = tokens->strings.size();
    if (n == 0) fail(file, "the token list (tokenizer.ggml.tokens) is empty");
    if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max() / 2))
        fail(file, "the token list has " + std::to_string(n) + " entries, more than any tokenizer can use");

    std::optional<std::vector<float>> scores;
    if (const gguf::Value* s = file.find("tokenizer.ggml.scores")) {
        if (s->type != ValueType::Array || (s->elemType != ValueType::Float32 && s->elemType != ValueType::Int32))
            fail(file, "tokenizer.ggml.scores must be a list of numbers");
        if (s->count < n)
            fail(file, "tokenizer.ggml.scores has " + std::to_string(s->count) + " entries for " + std::to_string(n) +
                           " tokens");
        scores = s->floatArray();
    }
    std::optional<std::vector<int64_t>> types;
    if (const gguf::Value* t = file.find("tokenizer.ggml.token_type")) {
        if (t->type != ValueType::Array || t->elemType != ValueType::Int32)
            fail(file, "tokenizer.ggml.token_type must be a list of 32-bit integers");
        if (t->count < n)
            fail(file, "tokenizer.ggml.token_type has " + std::to_string(t->count) + " entries for " +
                           std::to_string(n) + " tokens");
        types = t->intArray();
    }

    size_t bytes = 0;
    for (std::string_view t : tokens->strings) bytes += t.size();
    blob_.reserve(bytes);
    offsets_.reserve(n + 1);
    offsets_.push_back(0);
    for (size_t id = 0; id < n; ++id) {
        const std::string_view t = tokens->strings[id];
        if (t.empty()) {  // llama.cpp names empty tokens rather than rejecting the file
            const std::string name = "[EMPTY_" + std::to_string(id) + "]";
            blob_.insert(blob_.end(), name.begin(), name.end());
        } else {
            blob_.insert(blob_.end(), t.begin(), t.end());
        }
        if (blob_.size() > std::numeric_limits<uint32_t>::max()) fail(file, "the token texts are too large");
        offsets_.push_back(static_cast<uint32_t>(blob_.size()));
    }
    scores_.assign(n, 0.0f);
    if (scores) std::copy_n(scores->begin(), n, scores_.begin());
    attrs_.assign(n, kAttrNormal);
    if (types)
        for (size_t id = 0; id < n; ++id) attrs_[id] = attrFromType((*types)[id]);

    size_t capacity = 16;
    while (capacity < 2 * n) capacity *= 2;
    slots_.assign(capacity, Slot{});
    for (int32_t id = 0; id < static_cast<int32_t>(n); ++id) {
        const std::string_view t = text(id);
        const size_t h = std::hash<std::string_view>{}(t);
        for (size_t k = h & (capacity - 1);; k = (k + 1) & (capacity - 1)) {
            Slot& slot = slots_[k];
            if (slot.id < 0) {
                slot = {static_cast<uint32_t>(h >> 32), id};
                break;
            }
            if (slot.hash == static_cast<uint32_t>(h >> 32) && text(slot.id) == t)
                fail(file, "tokens " + std::to_string(slot.id) + " and " + std::to_string(id) +
                               " have the same text \"" + std::string(t) + "\"");
        }
    }

    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
        int32_t id = find(std::string_view(name, 6));
        if (id < 0) id = find(std::string_view(reinterpret_cast<const char*>(&b), 1));
        byteTokens_[b] = id;
    }
}

uint8_t Vocabulary::byteValue(int32_t id) const {
    const std::string_view t = text(id);
    if (t.size() == 6 && t.substr(0, 3) == "<0x" && t[5] == '>') {
        uint8_t value = 0;
        for (char c : t.substr(3, 2)) {
            const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                            : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) return 0;
            value = static_cast<uint8_t>(value * 16 + digit);
        }
        return value;
    }
    return t.size() == 1 ? static_cast<uint8_t>(t[0]) : 0;
}

int32_t Vocabulary::find(std::string_view t) const {
    const size_t h = std::hash<std::string_view>{}(t);
    const size_t mask = slots_.size() - 1;
    for (size_t k = h & mask;; k = (k + 1) & mask) {
        const Slot& slot = slots_[k];
        if (slot.id < 0) return -1;
        if (slot.hash == static_cast<uint32_t>(h >> 32) && text(slot.id) == t) return slot.id;
    }
}

void Vocabulary::readSpecialIds(const gguf::GgufFile& file, const VocabDefaults& defaults) {
    // A default outside the table is dropped; a listed id outside it is ignored
    // in favour of the default, as llama.cpp does.
    const auto special = [&](std::string_view key, int32_t fallback) {
        int32_t id = contains(fallback) ? fallback : -1;
        if (auto listed = file.getInt(key); listed && *listed >= 0 && *listed < size())
            id = static_cast<int32_t>(*listed);
        return id;
    };
    bos_ = special("tokenizer.ggml.bos_token_id", defaults.bos);
    eos_ = special("tokenizer.ggml.eos_token_id", defaults.eos);
    eot_ = special("tokenizer.ggml.eot_token_id", -1);
    eom_ = special("tokenizer.ggml.eom_token_id", -1);
    unk_ = special("tokenizer.ggml.unknown_token_id", defaults.unk);
    pad_ = special("tokenizer.ggml.padding_token_id", -1);

    addBos_ = file.getBool("tokenizer.ggml.add_bos_token").value_or(defaults.addBos);
    addEos_ = file.getBool("tokenizer.ggml.add_eos_token").value_or(false);
    addSpacePrefix_ = file.getBool("tokenizer.ggml.add_space_prefix").value_or(defaults.addSpacePrefix);
    if (addBos_ && bos_ < 0) fail(file, "the model asks for a start token (add_bos_token) but has none");
    if (addEos_ && eos_ < 0) fail(file, "the model asks for an end token (add_eos_token) but has none");
}

void Vocabulary::detectEndOfGeneration(const gguf::GgufFile& file) {
    eog_.assign(scores_.size(), false);
    // Lowest matching id, so the choice does not depend on hash order.
    const auto firstListed = [&](const auto& list) {
        int32_t first = -1;
        for (std::string_view t : list)
            if (const int32_t id = find(t); id >= 0 && (first < 0 || id < first)) first = id;
        return first;
    };
    const auto markEog = [&](int32_t id) {
        if (id < 0) return;
        eog_[id] = true;
        attrs_[id] |= kAttrControl;
    };

    if (eot_ < 0) eot_ = firstListed(kEndOfTurnTexts);
    if (eom_ < 0) eom_ = find("<|eom_id|>");
    const auto fim = [&](std::string_view key, const auto& list) {
        auto id = file.getInt(key);
        return id && *id >= 0 && *id < size() ? static_cast<int32_t>(*id) : firstListed(list);
    };
    markEog(fim("tokenizer.ggml.fim_pad_token_id", kFimPadTexts));
    markEog(fim("tokenizer.ggml.fim_rep_token_id", kFimRepoTexts));
    markEog(fim("tokenizer.ggml.fim_sep_token_id", kFimSepTexts));
    for (std::string_view t : kEndOfGenerationTexts) markEog(find(t));
    for (int32_t id : {eos_, eot_, eom_})
        if (id >= 0) eog_[id] = true;

    // Harmony-style vocabularies end a message with <|end|> but keep generating
    // after it; Gemma 4 and PLaMo use </s> as ordinary text.
    const auto eogWithText = [&](std::string_view t) {
        const int32_t id = find(t);
        return id >= 0 && eog_[id] ? id : -1;
    };
    const int32_t end = eogWithText("<|end|>");
    const bool hasCall = eogWithText("<|call|>") >= 0 || eogWithText("<|calls|>") >= 0;
    if (end >= 0 && hasCall && (eogWithText("<|return|>") >= 0 || eogWithText("<|flush|>") >= 0)) {
        eog_[end] = false;
        attrs_[end] = kAttrUserDefined;
    }
    const int32_t closeS = eogWithText("</s>");
    if (closeS >= 0 && (eogWithText("<|tool_response>") >= 0 || eogWithText("<|plamo:eos|>") >= 0)) {
        eog_[closeS] = false;
        attrs_[closeS] = kAttrNormal;
    }
}

}  // namespace nibble
