#include "tokenizer/pre_tokenizer.h"

#include "nibble/error.h"
#include "text/utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <initializer_list>

namespace nibble {

namespace {

// The patterns, copied from llama.cpp's llm_tokenizer_bpe (its adapted forms,
// where case-insensitive groups are spelled out).
constexpr const char* kGpt2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
constexpr const char* kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kQwen35 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| "
    "?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kSeedCoder =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| "
    "?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kTekken =
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+(("
    "?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kGpt4o =
    "[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL]["
    "lL]|'[dD])?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'["
    "mM]|'[lL][lL]|'[dD])?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
constexpr const char* kPoro = " ?[^(\\s|.,!?…。，、।۔،)]+";
constexpr const char* kDeepseekLlmLetters =
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ"
    "-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐ"
    "ῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯ"
    "ꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";
constexpr const char* kCjk = "[一-龥ࠀ-一가-퟿]+";

// llama.cpp's non-ASCII white space (unicode_cpt_flags::is_whitespace).
bool isWideWhiteSpace(uint32_t cp) {
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Copies valid UTF-8 `text` with each non-ASCII white space character replaced
// by a vertical tab, recording where each byte came from. False, and nothing
// written, when the text has no such character.
bool foldWhiteSpace(std::string_view text, std::string& folded, std::vector<size_t>& origin) {
    const auto codepointAt = [&](size_t pos, size_t length) { return utf8::decode(text.substr(pos, length)); };
    bool any = false;
    for (size_t pos = 0; pos < text.size() && !any;) {
        const size_t length = utf8::leadLength(text[pos]);
        any = length > 1 && isWideWhiteSpace(codepointAt(pos, length));
        pos += length;
    }
    if (!any) return false;
    folded.reserve(text.size());
    origin.reserve(text.size() + 1);
    for (size_t pos = 0; pos < text.size();) {
        const size_t length = utf8::leadLength(text[pos]);
        if (length > 1 && isWideWhiteSpace(codepointAt(pos, length))) {
            folded += '\v';
            origin.push_back(pos);
        } else {
            for (size_t k = 0; k < length; ++k) {
                folded += text[pos + k];
                origin.push_back(pos + k);
            }
        }
        pos += length;
    }
    origin.push_back(text.size());
    return true;
}

bool oneOf(std::string_view pre, std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), pre) != names.end();
}

}  // namespace

std::optional<PreTokenizerConfig> preTokenizerConfig(std::string_view pre) {
    PreTokenizerConfig c;
    if (pre.empty() || pre == "default") {
        c.patterns = {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"};
    } else if (oneOf(pre, {"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
                           "jina-v5-nano"})) {
        c.patterns = {kLlama3};
        c.ignoreMerges = true;
        c.addBos = true;
    } else if (oneOf(pre, {"dbrx", "smaug-bpe"})) {
        c.patterns = {kLlama3};
    } else if (pre == "deepseek-llm") {
        c.patterns = {"[\r\n]", kDeepseekLlmLetters, "\\s?[!-/:-~！-／：-～‘-‟　-。]+", "\\s+$", kCjk, "\\p{N}+"};
    } else if (pre == "deepseek-coder") {
        c.patterns = {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", kCjk, "\\p{N}"};
    } else if (pre == "falcon") {
        c.patterns = {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"};
    } else if (oneOf(pre, {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b",
                           "mellum2"})) {
        c.patterns = {"\\p{N}", kGpt2};
    } else if (oneOf(pre, {"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
                           "mellum", "modern-bert", "exaone4", "mpt", "olmo", "jais", "trillion", "granite-docling",
                           "jina-v1-en", "jina-v2-code", "roberta-bpe"})) {
        c.patterns = {kGpt2};
    } else if (oneOf(pre, {"qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan",
                           "solar-open", "grok-2"})) {
        c.patterns = {kQwen2};
    } else if (pre == "qwen35") {
        c.patterns = {kQwen35};
    } else if (oneOf(pre, {"poro-chat", "bloom", "gpt3-finnish"})) {
        c.patterns = {kPoro};
    } else if (pre == "viking") {
        c.patterns = {kPoro, "\\p{N}"};
    } else if (pre == "chatglm-bpe") {
        c.patterns = {kLlama3};
        c.hasBos = false;
    } else if (oneOf(pre, {"glm4", "glm5"})) {
        c.patterns = {kLlama3};
        c.hasBos = false;
        c.ignoreMerges = true;
    } else if (pre == "tekken") {
        c.patterns = {kTekken};
        c.ignoreMerges = true;
        c.addBos = true;
    } else if (oneOf(pre, {"gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2"})) {
        c.patterns = {kGpt4o};
    } else if (pre == "seed-coder") {
        c.patterns = {kSeedCoder};
    } else {
        return std::nullopt;
    }
    return c;
}

struct PreTokenizer::Regex {
    pcre2_code* code = nullptr;
    ~Regex() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(const std::vector<std::string>& patterns) {
    for (const std::string& pattern : patterns) {
        int error = 0;
        PCRE2_SIZE offset = 0;
        // ECMAScript semantics, as llama.cpp's std::regex: $ only at the very end.
        auto regex = std::make_unique<Regex>();
        regex->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                    PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &offset, nullptr);
        if (!regex->code) {
            PCRE2_UCHAR message[256];
            pcre2_get_error_message(error, message, sizeof message);
            throw Error(ErrorKind::Internal, "pre-tokenizer pattern does not compile at offset " +
                                                 std::to_string(offset) + ": " +
                                                 reinterpret_cast<const char*>(message));
        }
        // JIT is an optimisation only: without it PCRE2 interprets the pattern.
        pcre2_jit_compile(regex->code, PCRE2_JIT_COMPLETE);
        regexes_.push_back(std::move(regex));
    }
}

PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    if (text.empty()) return {};
    // llama.cpp matches every non-ASCII white space character as a vertical
    // tab: it is \s then, but never part of a literal class like DeepSeek's
    // [一-龥ࠀ-一가-퟿], and U+0085 counts as white space too. Matching on the
    // text folded the same way, and mapping the pieces back, gives its cuts.
    std::string folded;
    std::vector<size_t> origin;  // offset in `text` of each byte of `folded`, and of its end
    const bool fold = foldWhiteSpace(text, folded, origin);
    const std::string_view subject = fold ? std::string_view(folded) : text;

    using MatchData = std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)>;
    MatchData match(pcre2_match_data_create(1, nullptr), &pcre2_match_data_free);
    if (!match) throw Error(ErrorKind::OutOfMemory, "out of memory while splitting text into words");

    std::vector<std::string_view> pieces{subject};
    for (const auto& regex : regexes_) {
        std::vector<std::string_view> next;
        next.reserve(pieces.size() * 2);
        for (std::string_view piece : pieces) {
            // Each piece is its own subject, so no match or lookahead sees past it.
            const auto* bytes = reinterpret_cast<PCRE2_SPTR>(piece.data());
            size_t done = 0;   // end of the last piece emitted
            size_t start = 0;  // where the next search begins
            while (start < piece.size()) {
                int rc = pcre2_match(regex->code, bytes, piece.size(), start, PCRE2_NO_UTF_CHECK, match.get(), nullptr);
                if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // very long words: the interpreter keeps its frames on the heap
                    rc = pcre2_match(regex->code, bytes, piece.size(), start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                                     match.get(), nullptr);
                if (rc == PCRE2_ERROR_NOMATCH) break;
                if (rc < 0)
                    throw Error(ErrorKind::Internal,
                                "splitting text into words failed (PCRE2 error " + std::to_string(rc) + ")");
                const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match.get());
                const size_t from = ovector[0], to = ovector[1];
                if (to == from) {  // an empty match cuts nothing; step over one character
                    start = from + utf8::leadLength(piece[from]);
                    continue;
                }
                if (from > done) next.push_back(piece.substr(done, from - done));
                next.push_back(piece.substr(from, to - from));
                done = start = to;
            }
            if (done < piece.size()) next.push_back(piece.substr(done));
        }
        pieces = std::move(next);
    }

    if (fold) {
        for (std::string_view& piece : pieces) {
            const size_t begin = static_cast<size_t>(piece.data() - subject.data());
            const size_t end = begin + piece.size();
            piece = text.substr(origin[begin], origin[end] - origin[begin]);
        }
    }
    return pieces;
}

}  // namespace nibble
