#include "tokenizer/tokenizer.h"

#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"

namespace nibble {

std::unique_ptr<Tokenizer> Tokenizer::fromGguf(const gguf::GgufFile& file) {
    const auto model = file.getString("tokenizer.ggml.model");
    if (!model)
        throw Error(ErrorKind::InvalidFile,
                    file.displayName() + ": the model names no tokenizer (tokenizer.ggml.model is missing)");

    if (*model == "llama") {
        VocabDefaults defaults;
        defaults.kind = VocabKind::SentencePiece;
        defaults.bos = 1;
        defaults.eos = 2;
        defaults.unk = 0;
        defaults.addBos = true;
        defaults.addSpacePrefix = true;
        return std::make_unique<SpmTokenizer>(Vocabulary::fromGguf(file, defaults));
    }
    if (*model == "gpt2") {
        const std::string pre(file.getString("tokenizer.ggml.pre").value_or(""));
        const auto config = preTokenizerConfig(pre);
        if (!config)
            throw Error(ErrorKind::Unsupported, file.displayName() + ": the pre-tokenizer \"" + pre +
                                                    "\" (tokenizer.ggml.pre) is not supported");
        VocabDefaults defaults;
        defaults.kind = VocabKind::BytePairEncoding;
        defaults.bos = config->hasBos ? 11 : -1;  // llama.cpp's defaults for BPE files that name none
        defaults.eos = 11;
        defaults.addBos = config->addBos.value_or(false);
        return std::make_unique<BpeTokenizer>(Vocabulary::fromGguf(file, defaults), file, *config);
    }
    throw Error(ErrorKind::Unsupported, file.displayName() + ": the tokenizer type \"" + std::string(*model) +
                                            "\" is not supported (only SentencePiece \"llama\" and byte-level "
                                            "BPE \"gpt2\" are)");
}

Tokenizer::Tokenizer(Vocabulary vocab) : vocab_(std::move(vocab)), splitter_(vocab_) {}

void Tokenizer::checkId(int32_t id) const {
    if (!vocab_.contains(id))
        throw Error(ErrorKind::InvalidArgument, "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                                    std::to_string(vocab_.size()) + " tokens");
}

std::string Tokenizer::tokenBytes(int32_t id) const {
    checkId(id);
    const uint8_t attr = vocab_.attr(id);
    if (attr & (kAttrControl | kAttrUnknown)) return {};
    const std::string_view text = vocab_.text(id);
    if (attr & kAttrUserDefined) return std::string(text);
    if (attr & kAttrNormal) return normalTokenBytes(text);
    if (attr & kAttrByte) return std::string(1, static_cast<char>(vocab_.byteValue(id)));
    return {};
}

std::string Tokenizer::tokenText(int32_t id) const {
    checkId(id);
    if (vocab_.is(id, static_cast<TokenAttr>(kAttrControl | kAttrUnknown))) return std::string(vocab_.text(id));
    return tokenBytes(id);
}

std::string Tokenizer::tokenPiece(int32_t id) const {
    checkId(id);
    return std::string(vocab_.text(id));
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
    std::string out;
    bool stripSpace = vocab_.addSpacePrefix();
    for (int32_t id : ids) {
        std::string bytes = tokenBytes(id);
        if (stripSpace && !isControl(id)) {
            if (!bytes.empty() && bytes[0] == ' ') bytes.erase(0, 1);
            stripSpace = false;
        }
        out += bytes;
    }
    return out;
}

}  // namespace nibble
