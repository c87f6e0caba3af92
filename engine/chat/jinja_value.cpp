#include "chat/jinja_value.h"

#include "chat/jinja_budget.h"
#include "chat/jinja_error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <cstring>

namespace nibble::jinja {

const Value* ValueDict::find(std::string_view key) const {
    for (const auto& [k, v] : entries)
        if (k == key) return &v;
    return nullptr;
}

void ValueDict::set(std::string key, Value value) {
    for (auto& [k, v] : entries) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    entries.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::get(std::string_view name, size_t index) const {
    for (const auto& [k, v] : named)
        if (k == name) return &v;
    return index < positional.size() ? &positional[index] : nullptr;
}

Value::Value(std::string s) : kind_(Kind::String) {
    reserveBytes(1, s.size());
    string_ = std::make_shared<const std::string>(std::move(s));
}

Value::Value(ValueList list) : kind_(Kind::List) {
    reserveBytes(sizeof(Value), list.size());
    int deepest = 0;
    for (const auto& item : list) deepest = std::max(deepest, item.depth_);
    setDepth(deepest + 1);
    list_ = std::make_shared<ValueList>(std::move(list));
}

Value::Value(ValueDict dict) : kind_(Kind::Dict) {
    reserveBytes(sizeof(Value), dict.entries.size());
    int deepest = 0;
    for (const auto& [k, v] : dict.entries) deepest = std::max(deepest, v.depth_);
    setDepth(deepest + 1);
    dict_ = std::make_shared<ValueDict>(std::move(dict));
}

Value::Value(Function f, int captured) : kind_(Kind::Function), function_(std::make_shared<Function>(std::move(f))) {
    setDepth(captured + 1);
}

void Value::setDepth(int depth) {
    // Freeing a value recurses through its items, so depth is bounded when
    // values are made (before any render, e.g. for parsed JSON, by the defaults).
    const Budget* budget = Budget::active();
    const int maxDepth = (budget ? budget->limits() : Limits{}).maxDepth;
    if (depth > maxDepth) throw nestedTooDeep(maxDepth);
    depth_ = depth;
}

void Value::allowItemDepth(int itemDepth) { setDepth(std::max(depth_, itemDepth + 1)); }

int64_t truncateToInt(double x) {
    if (std::isnan(x)) return 0;
    if (x <= -9223372036854775808.0) return INT64_MIN;
    if (x >= 9223372036854775808.0) return INT64_MAX;
    return static_cast<int64_t>(x);
}

const std::string& Value::emptyString() {
    static const std::string empty;
    return empty;
}

Value Value::undefined(std::string what) {
    Value v;
    v.string_ = std::make_shared<const std::string>(std::move(what));
    return v;
}

Value Value::tuple(ValueList items) {
    Value v(std::move(items));
    v.tuple_ = true;
    return v;
}

bool Value::truthy() const {
    switch (kind_) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool:
    case Kind::Int: return int_ != 0;
    case Kind::Float: return float_ != 0;
    case Kind::String: return !string_->empty();
    case Kind::List: return !list_->empty();
    case Kind::Dict: return !dict_->entries.empty();
    case Kind::Function: return true;
    }
    return false;
}

std::string formatFloat(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    // sci is "[-]d[.ddd]e[+-]XX": split into sign, digits and exponent, then
    // lay them out the way Python's repr does.
    const bool negative = sci[0] == '-';
    if (negative) sci.erase(0, 1);
    const size_t e = sci.find('e');
    std::string digits = sci.substr(0, e);
    const int exponent = std::atoi(sci.c_str() + e + 1);
    if (auto dot = digits.find('.'); dot != std::string::npos) digits.erase(dot, 1);
    std::string out = negative ? "-" : "";
    if (exponent >= -4 && exponent < 16) {
        if (exponent < 0) {
            out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
        } else if (digits.size() <= static_cast<size_t>(exponent) + 1) {
            out += digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0') + ".0";
        } else {
            out += digits.substr(0, static_cast<size_t>(exponent) + 1) + "." +
                   digits.substr(static_cast<size_t>(exponent) + 1);
        }
        return out;
    }
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp;
}

size_t findText(std::string_view haystack, std::string_view needle, size_t from) {
    if (from > haystack.size()) return std::string_view::npos;
    if (needle.empty()) return from;
    // std::string::find can take haystack * needle steps, hours for two large
    // strings; Boyer-Moore finds the first match in linear time, on every platform.
    const auto at = std::search(haystack.begin() + from, haystack.end(),
                                std::boyer_moore_searcher(needle.begin(), needle.end()));
    return at == haystack.end() ? std::string_view::npos : static_cast<size_t>(at - haystack.begin());
}

size_t utf8CharacterLength(std::string_view text, size_t at) {
    const auto lead = static_cast<unsigned char>(text[at]);
    const size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
    return std::min(len, text.size() - at);
}

size_t utf8Length(std::string_view text) {
    size_t n = 0;
    for (size_t i = 0; i < text.size(); i += utf8CharacterLength(text, i)) ++n;
    return n;
}

std::vector<std::string_view> utf8Characters(std::string_view text) {
    // The views take many times the text's size.
    reserveBytes(sizeof(std::string_view), text.size());
    std::vector<std::string_view> chars;
    size_t i = 0;
    while (i < text.size()) {
        const size_t len = utf8CharacterLength(text, i);
        chars.emplace_back(text.substr(i, len));
        i += len;
    }
    return chars;
}

bool appendCommonEscape(std::string& out, char c, char quote) {
    if (c == quote || c == '\\') {
        out += '\\';
        out += c;
    } else if (c == '\n') {
        out += "\\n";
    } else if (c == '\r') {
        out += "\\r";
    } else if (c == '\t') {
        out += "\\t";
    } else {
        return false;
    }
    return true;
}

namespace {

std::string quoteString(const std::string& s) {
    const bool hasSingle = s.find('\'') != std::string::npos;
    const bool hasDouble = s.find('"') != std::string::npos;
    const char quote = hasSingle && !hasDouble ? '"' : '\'';
    std::string out(1, quote);
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (appendCommonEscape(out, c, quote)) {
        } else if (u < 0x20 || u == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    out += quote;
    return out;
}

}  // namespace

std::string Value::str() const {
    switch (kind_) {
    case Kind::Undefined: return "";
    case Kind::String: return *string_;
    default: return repr();
    }
}

std::string Value::repr() const {
    // Lists and dicts may share items, so a short template can describe a value
    // whose text is exponentially long: each piece counts before it is added.
    const Nesting nesting;
    switch (kind_) {
    case Kind::Undefined: return "";
    case Kind::None: return "None";
    case Kind::Bool: return int_ ? "True" : "False";
    case Kind::Int: return std::to_string(int_);
    case Kind::Float: return formatFloat(float_);
    case Kind::String: {
        reserveBytes(1, string_->size());
        return quoteString(*string_);
    }
    case Kind::List: {
        std::string out = tuple_ ? "(" : "[";
        for (size_t i = 0; i < list_->size(); ++i) {
            if (i) out += ", ";
            const std::string item = (*list_)[i].repr();
            reserveGrowth(out.size(), item.size());
            out += item;
        }
        if (tuple_ && list_->size() == 1) out += ",";
        return out + (tuple_ ? ")" : "]");
    }
    case Kind::Dict: {
        if (dict_->isNamespace) return "<Namespace>";
        std::string out = "{";
        bool first = true;
        for (const auto& [k, v] : dict_->entries) {
            if (!first) out += ", ";
            first = false;
            const std::string item = quoteString(k) + ": " + v.repr();
            reserveGrowth(out.size(), item.size());
            out += item;
        }
        return out + "}";
    }
    case Kind::Function: return "<function>";
    }
    return "";
}

std::string Value::describeType() const {
    switch (kind_) {
    case Kind::Undefined: return "an undefined value";
    case Kind::None: return "none";
    case Kind::Bool: return "a boolean";
    case Kind::Int: return "an integer";
    case Kind::Float: return "a float";
    case Kind::String: return "a string";
    case Kind::List: return tuple_ ? "a tuple" : "a list";
    case Kind::Dict: return dict_->isNamespace ? "a namespace" : "a dict";
    case Kind::Function: return "a function";
    }
    return "a value";
}

bool Value::operator==(const Value& other) const {
    // Shared items make comparing two small-looking values exponentially long.
    countSteps();
    const Nesting nesting;
    if (isNumber() && other.isNumber()) {
        if (kind_ == Kind::Float || other.kind_ == Kind::Float) return asFloat() == other.asFloat();
        return int_ == other.int_;
    }
    if (kind_ != other.kind_) return false;
    switch (kind_) {
    case Kind::Undefined:
    case Kind::None: return true;
    case Kind::String: return *string_ == *other.string_;
    case Kind::List: return list_ == other.list_ || *list_ == *other.list_;
    case Kind::Dict: {
        if (dict_ == other.dict_) return true;
        if (dict_->entries.size() != other.dict_->entries.size()) return false;
        for (const auto& [k, v] : dict_->entries) {
            const Value* o = other.dict_->find(k);
            if (!o || !(*o == v)) return false;
        }
        return true;
    }
    case Kind::Function: return function_ == other.function_;
    default: return false;
    }
}

std::optional<int> Value::compare(const Value& other) const {
    countSteps();
    const Nesting nesting;
    if (isNumber() && other.isNumber()) {
        if (kind_ != Kind::Float && other.kind_ != Kind::Float)
            return int_ < other.int_ ? -1 : int_ > other.int_ ? 1 : 0;
        const double a = asFloat(), b = other.asFloat();
        return a < b ? -1 : a > b ? 1 : 0;
    }
    if (isString() && other.isString()) {
        const int c = string_->compare(*other.string_);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    if (isList() && other.isList()) {
        const auto& a = *list_;
        const auto& b = *other.list_;
        for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
            if (a[i] == b[i]) continue;
            return a[i].compare(b[i]);
        }
        return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
    }
    return std::nullopt;
}

ValueList Value::iterate() const {
    switch (kind_) {
    case Kind::Undefined:
    case Kind::None: return {};
    case Kind::List:
        countSteps(static_cast<int64_t>(list_->size()));
        return *list_;
    case Kind::Dict: {
        countSteps(static_cast<int64_t>(dict_->entries.size()));
        ValueList keys;
        for (const auto& [k, v] : dict_->entries) keys.emplace_back(k);
        return keys;
    }
    case Kind::String: {
        countSteps(static_cast<int64_t>(string_->size()));
        ValueList chars;
        for (const auto c : utf8Characters(*string_)) chars.emplace_back(c);
        return chars;
    }
    default: throw runtimeError("cannot loop over " + describeType());
    }
}

std::optional<size_t> Value::length() const {
    switch (kind_) {
    case Kind::Undefined: return 0;
    case Kind::String: return utf8Length(*string_);
    case Kind::List: return list_->size();
    case Kind::Dict: return dict_->entries.size();
    default: return std::nullopt;
    }
}

bool Value::sameContainer(const Value& other) const {
    return kind_ == other.kind_ && ((list_ && list_ == other.list_) || (dict_ && dict_ == other.dict_));
}

void Value::moveContentsInto(std::vector<Value>& into) const {
    if (list_) {
        for (auto& item : *list_) into.push_back(std::move(item));
        list_->clear();
    }
    if (dict_) {
        for (auto& [k, v] : dict_->entries) into.push_back(std::move(v));
        dict_->entries.clear();
    }
}

}  // namespace nibble::jinja
