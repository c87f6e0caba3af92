#include "chat/jinja_json.h"

#include "chat/jinja_budget.h"
#include "chat/jinja_error.h"
#include "text/utf8.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace nibble::jinja {

namespace {

void writeString(std::string& out, const std::string& s, bool ensureAscii) {
    out += '"';
    for (size_t at = 0; at < s.size(); at += utf8CharacterLength(s, at)) {
        const std::string_view ch = std::string_view(s).substr(at, utf8CharacterLength(s, at));
        const auto c = static_cast<unsigned char>(ch[0]);
        char buf[16];
        if (ch.size() > 1 && ensureAscii) {
            const uint32_t cp = utf8::decode(ch);
            if (cp >= 0x10000) {
                const uint32_t v = cp - 0x10000;
                std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
            } else {
                std::snprintf(buf, sizeof buf, "\\u%04x", cp);
            }
            out += buf;
        } else if (appendCommonEscape(out, ch[0], '"')) {
        } else if (c == '\b') {
            out += "\\b";
        } else if (c == '\f') {
            out += "\\f";
        } else if (c < 0x20 || (ensureAscii && c == 0x7f)) {
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    out += '"';
}

void write(std::string& out, const Value& v, const JsonFormat& f, int depth) {
    const Nesting nesting;
    const auto newline = [&](int level) {
        if (f.indent < 0) return;
        const size_t spaces = static_cast<size_t>(f.indent) * static_cast<size_t>(level);
        reserveGrowth(out.size(), spaces + 1);
        out += '\n';
        out.append(spaces, ' ');
    };
    const char* itemSeparator = f.indent < 0 ? ", " : ",";
    switch (v.kind()) {
    case Value::Kind::None: out += "null"; return;
    case Value::Kind::Bool: out += v.asBool() ? "true" : "false"; return;
    case Value::Kind::Int: out += std::to_string(v.asInt()); return;
    case Value::Kind::Float: {
        const std::string s = formatFloat(v.asFloat());
        out += s == "nan" ? "NaN" : s == "inf" ? "Infinity" : s == "-inf" ? "-Infinity" : s;
        return;
    }
    case Value::Kind::String:
        reserveGrowth(out.size(), v.asString().size() + 2);
        writeString(out, v.asString(), f.ensureAscii);
        return;
    case Value::Kind::List: {
        const auto& items = v.list();
        if (items.empty()) {
            out += "[]";
            return;
        }
        out += '[';
        for (size_t i = 0; i < items.size(); ++i) {
            if (i) out += itemSeparator;
            newline(depth + 1);
            write(out, items[i], f, depth + 1);
        }
        newline(depth);
        out += ']';
        return;
    }
    case Value::Kind::Dict: {
        auto entries = v.dict().entries;
        if (entries.empty()) {
            out += "{}";
            return;
        }
        if (f.sortKeys)
            std::stable_sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.first < b.first; });
        out += '{';
        for (size_t i = 0; i < entries.size(); ++i) {
            if (i) out += itemSeparator;
            newline(depth + 1);
            reserveGrowth(out.size(), entries[i].first.size() + 4);
            writeString(out, entries[i].first, f.ensureAscii);
            out += ": ";
            write(out, entries[i].second, f, depth + 1);
        }
        newline(depth);
        out += '}';
        return;
    }
    case Value::Kind::Undefined:
        throw runtimeError("cannot convert an undefined value" +
                           (v.undefinedName().empty() ? std::string() : " ('" + v.undefinedName() + "')") +
                           " to JSON");
    case Value::Kind::Function: throw runtimeError("cannot convert a function to JSON");
    }
}

class JsonParser {
public:
    explicit JsonParser(std::string_view text) : s_(text) {}

    Value parseDocument() {
        Value v = parseValue();
        skipSpace();
        if (pos_ != s_.size()) fail("unexpected text after the JSON value");
        return v;
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw runtimeError("invalid JSON at offset " + std::to_string(pos_) + ": " + what);
    }

    void skipSpace() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
            ++pos_;
    }

    bool consume(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    Value parseValue() {
        if (++depth_ > 512) fail("nested too deeply");
        skipSpace();
        if (pos_ >= s_.size()) fail("unexpected end");
        Value result;
        const char c = s_[pos_];
        if (c == '{') {
            ++pos_;
            ValueDict dict;
            skipSpace();
            if (!consume("}")) {
                do {
                    skipSpace();
                    if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
                    std::string key = parseString();
                    skipSpace();
                    if (!consume(":")) fail("expected ':'");
                    dict.set(std::move(key), parseValue());
                    skipSpace();
                } while (consume(","));
                if (!consume("}")) fail("expected ',' or '}'");
            }
            result = Value(std::move(dict));
        } else if (c == '[') {
            ++pos_;
            ValueList list;
            skipSpace();
            if (!consume("]")) {
                do {
                    list.push_back(parseValue());
                    skipSpace();
                } while (consume(","));
                if (!consume("]")) fail("expected ',' or ']'");
            }
            result = Value(std::move(list));
        } else if (c == '"') {
            result = Value(parseString());
        } else if (consume("true")) {
            result = Value(true);
        } else if (consume("false")) {
            result = Value(false);
        } else if (consume("null")) {
            result = Value(nullptr);
        } else {
            result = parseNumber();
        }
        --depth_;
        return result;
    }

    Value parseNumber() {
        const size_t start = pos_;
        bool isFloat = false;
        if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (c >= '0' && c <= '9') {
            } else if (c == '.' || c == 'e' || c == 'E' || ((c == '+' || c == '-') && isFloat)) {
                isFloat = true;
            } else {
                break;
            }
            ++pos_;
        }
        const std::string text(s_.substr(start, pos_ - start));
        if (text.empty() || text == "-") fail("unexpected character");
        char* end = nullptr;
        if (isFloat) {
            const double d = std::strtod(text.c_str(), &end);
            if (*end) fail("malformed number");
            return Value(d);
        }
        const long long i = std::strtoll(text.c_str(), &end, 10);
        if (*end) fail("malformed number");
        return Value(static_cast<int64_t>(i));
    }

    uint32_t parseHex4() {
        if (pos_ + 4 > s_.size()) fail("short \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= static_cast<uint32_t>(c - 'A' + 10);
            else fail("bad \\u escape");
        }
        return v;
    }

    std::string parseString() {
        ++pos_;  // opening quote
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) fail("unterminated string");
            const char c = s_[pos_++];
            if (c == '"') return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= s_.size()) fail("unterminated string");
            const char e = s_[pos_++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                uint32_t cp = parseHex4();
                if (cp >= 0xD800 && cp < 0xDC00 && consume("\\u")) {
                    const uint32_t low = parseHex4();
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                utf8::appendCodepoint(out, cp);
                break;
            }
            default: fail("bad escape");
            }
        }
    }

    std::string_view s_;
    size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

std::string toJson(const Value& value, const JsonFormat& format) {
    std::string out;
    write(out, value, format, 0);
    return out;
}

Value parseJson(std::string_view text) { return JsonParser(text).parseDocument(); }

}  // namespace nibble::jinja
