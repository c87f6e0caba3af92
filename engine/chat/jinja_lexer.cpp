#include "chat/jinja_lexer.h"

#include "chat/jinja_error.h"
#include "chat/jinja_value.h"
#include "text/utf8.h"

#include <algorithm>
#include <array>

namespace nibble::jinja {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isNameChar(char c) { return isNameStart(c) || isDigit(c); }

class Lexer {
public:
    Lexer(std::string_view source, const LexerOptions& options) : opt_(options) {
        // Jinja reads "\r\n" as "\n" and, without keep_trailing_newline, drops one final newline.
        src_.reserve(source.size());
        for (size_t i = 0; i < source.size(); ++i) {
            if (source[i] == '\r' && i + 1 < source.size() && source[i + 1] == '\n') continue;
            src_ += source[i];
        }
        if (!src_.empty() && src_.back() == '\n') src_.pop_back();
    }

    std::vector<Token> run() {
        size_t pos = 0;
        while (pos < src_.size()) {
            size_t open = findOpener(pos);
            std::string text = src_.substr(pos, open - pos);
            if (open == src_.size()) {
                emitText(std::move(text), pos);
                break;
            }
            const char kind = src_[open + 1];  // '{', '%' or '#'
            const char sign = open + 2 < src_.size() ? src_[open + 2] : '\0';
            if (sign == '-') {
                while (!text.empty() && isSpace(text.back())) text.pop_back();
            } else if (sign != '+' && opt_.lstripBlocks && kind != '{') {
                const size_t lineStart = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
                const bool lineStarting = pos == 0 || src_[pos - 1] == '\n';
                const bool onlyBlanks = lineStart < text.size() &&
                                        std::all_of(text.begin() + static_cast<long>(lineStart), text.end(), isSpace);
                if ((lineStart > 0 || lineStarting) && onlyBlanks) text.resize(lineStart);
            }
            emitText(std::move(text), pos);
            size_t inner = open + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
            pos = kind == '#' ? lexComment(open, inner) : lexTag(open, inner, kind);
        }
        tokens_.push_back({Token::Type::End, "", lineAt(src_.size())});
        return std::move(tokens_);
    }

private:
    size_t findOpener(size_t from) const {
        size_t i = src_.find('{', from);
        while (i != std::string::npos && i + 1 < src_.size()) {
            const char next = src_[i + 1];
            if (next == '{' || next == '%' || next == '#') return i;
            i = src_.find('{', i + 1);
        }
        return src_.size();
    }

    int lineAt(size_t pos) {
        // Positions only move forward, so count newlines incrementally.
        while (linePos_ < pos && linePos_ < src_.size()) {
            if (src_[linePos_] == '\n') ++line_;
            ++linePos_;
        }
        return line_;
    }

    [[noreturn]] void fail(const std::string& what, size_t pos) {
        throw TemplateError(TemplateError::Kind::Syntax, what, lineAt(pos));
    }

    void emitText(std::string text, size_t pos) {
        if (!text.empty()) tokens_.push_back({Token::Type::Text, std::move(text), lineAt(pos)});
    }

    // Consumes what follows a tag's closing delimiter: all whitespace after
    // `-%}`, or the one newline trim_blocks removes after a block or comment.
    size_t afterTag(size_t end, char endSign, bool isBlock) const {
        if (endSign == '-') {
            while (end < src_.size() && isSpace(src_[end])) ++end;
        } else if (endSign != '+' && isBlock && opt_.trimBlocks && end < src_.size() && src_[end] == '\n') {
            ++end;
        }
        return end;
    }

    size_t lexComment(size_t open, size_t inner) {
        const size_t close = src_.find("#}", inner);
        if (close == std::string::npos) fail("unterminated comment", open);
        const char endSign = close > inner && (src_[close - 1] == '-' || src_[close - 1] == '+') ? src_[close - 1] : '\0';
        return afterTag(close + 2, endSign, true);
    }

    size_t lexTag(size_t open, size_t pos, char kind) {
        const bool isBlock = kind == '%';
        tokens_.push_back({isBlock ? Token::Type::BlockBegin : Token::Type::VarBegin, "", lineAt(open)});
        const std::string close = isBlock ? "%}" : "}}";
        // Inside brackets "}}" closes a dict literal, not the tag, as in Jinja.
        std::string brackets;
        while (true) {
            while (pos < src_.size() && isSpace(src_[pos])) ++pos;
            if (pos >= src_.size()) fail(isBlock ? "unterminated {% tag" : "unterminated {{ expression", open);
            if (!brackets.empty()) {
                const char c = src_[pos];
                if (c == '(' || c == '[' || c == '{') {
                    brackets += c;
                } else if (c == ')' || c == ']' || c == '}') {
                    const char expected = brackets.back() == '(' ? ')' : brackets.back() == '[' ? ']' : '}';
                    if (c != expected) fail(std::string("unexpected '") + c + "'", pos);
                    brackets.pop_back();
                }
                pos = lexToken(pos);
                continue;
            }
            if (src_[pos] == '(' || src_[pos] == '[' || src_[pos] == '{') {
                brackets += src_[pos];
                pos = lexToken(pos);
                continue;
            }
            for (char sign : {'-', '+'}) {
                if (src_[pos] == sign && src_.compare(pos + 1, 2, close) == 0) {
                    tokens_.push_back({isBlock ? Token::Type::BlockEnd : Token::Type::VarEnd, "", lineAt(pos)});
                    return afterTag(pos + 3, sign, isBlock);
                }
            }
            if (src_.compare(pos, 2, close) == 0) {
                tokens_.push_back({isBlock ? Token::Type::BlockEnd : Token::Type::VarEnd, "", lineAt(pos)});
                return afterTag(pos + 2, '\0', isBlock);
            }
            pos = lexToken(pos);
        }
    }

    size_t lexToken(size_t pos) {
        const int line = lineAt(pos);
        const char c = src_[pos];
        if (c == '\'' || c == '"') return lexString(pos);
        const bool afterDot = !tokens_.empty() && tokens_.back().type == Token::Type::Operator &&
                              tokens_.back().text == ".";
        if (isDigit(c)) {
            size_t end = pos;
            while (end < src_.size() && (isDigit(src_[end]) || src_[end] == '_')) ++end;
            bool isFloat = false;
            if (!afterDot && end + 1 < src_.size() && src_[end] == '.' && isDigit(src_[end + 1])) {
                isFloat = true;
                ++end;
                while (end < src_.size() && (isDigit(src_[end]) || src_[end] == '_')) ++end;
            }
            if (!afterDot && end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
                size_t e = end + 1;
                if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) ++e;
                if (e < src_.size() && isDigit(src_[e])) {
                    isFloat = true;
                    end = e;
                    while (end < src_.size() && isDigit(src_[end])) ++end;
                }
            }
            std::string text = src_.substr(pos, end - pos);
            std::erase(text, '_');
            tokens_.push_back({isFloat ? Token::Type::Float : Token::Type::Integer, std::move(text), line});
            return end;
        }
        if (isNameStart(c)) {
            size_t end = pos;
            while (end < src_.size() && isNameChar(src_[end])) ++end;
            tokens_.push_back({Token::Type::Name, src_.substr(pos, end - pos), line});
            return end;
        }
        static constexpr std::array<std::string_view, 6> twoChar = {"//", "**", "==", "!=", "<=", ">="};
        for (auto op : twoChar) {
            if (src_.compare(pos, 2, op) == 0) {
                tokens_.push_back({Token::Type::Operator, std::string(op), line});
                return pos + 2;
            }
        }
        if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) != std::string_view::npos) {
            tokens_.push_back({Token::Type::Operator, std::string(1, c), line});
            return pos + 1;
        }
        fail(std::string("unexpected character '") + c + "'", pos);
    }

    // Decodes escapes the way Jinja does (Python's unicode-escape codec):
    // unknown escapes keep their backslash.
    size_t lexString(size_t pos) {
        const char quote = src_[pos];
        const int line = lineAt(pos);
        std::string out;
        size_t i = pos + 1;
        while (true) {
            if (i >= src_.size()) fail("unterminated string", pos);
            const char c = src_[i];
            if (c == quote) break;
            if (c != '\\' || i + 1 >= src_.size()) {
                out += c;
                ++i;
                continue;
            }
            const char e = src_[i + 1];
            i += 2;
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case 'a': out += '\a'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case '\n': break;
            case 'x':
            case 'u':
            case 'U': {
                const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                uint32_t cp = 0;
                for (size_t k = 0; k < digits; ++k) {
                    const char h = i + k < src_.size() ? src_[i + k] : '\0';
                    int v = isDigit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
                    if (v < 0) fail(std::string("malformed \\") + e + " escape in a string", pos);
                    cp = cp * 16 + static_cast<uint32_t>(v);
                }
                i += digits;
                utf8::appendCodepoint(out, cp);
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    uint32_t cp = static_cast<uint32_t>(e - '0');
                    for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k, ++i)
                        cp = cp * 8 + static_cast<uint32_t>(src_[i] - '0');
                    utf8::appendCodepoint(out, cp);
                } else {
                    out += '\\';
                    out += e;
                }
            }
        }
        tokens_.push_back({Token::Type::String, std::move(out), line});
        return i + 1;
    }

    const LexerOptions& opt_;
    std::string src_;
    std::vector<Token> tokens_;
    size_t linePos_ = 0;
    int line_ = 1;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
    return Lexer(source, options).run();
}

}  // namespace nibble::jinja
