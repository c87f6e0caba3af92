// Python methods on strings, dicts and lists, plus item and attribute access.
#include "chat/jinja_budget.h"
#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_name_table.h"

#include <algorithm>
#include <charconv>

namespace nibble::jinja {

namespace {

bool isPySpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigitChar(char c) { return c >= '0' && c <= '9'; }
char toUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
char toLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::string requireString(const Value* v, const char* what) {
    if (!v || !v->isString()) throw runtimeError(std::string(what) + " must be a string");
    return v->asString();
}

int64_t optionalInt(const Value* v, int64_t fallback) {
    if (!v || v->isNone() || v->isUndefined()) return fallback;
    if (!v->isInt()) throw runtimeError("expected an integer argument, got " + v->describeType());
    return v->asInt();
}

// Python's str.split: with no separator, runs of whitespace split and ends are dropped.
ValueList pySplit(const std::string& s, const Value* sepArg, int64_t maxSplit) {
    ValueList out;
    if (!sepArg || sepArg->isNone()) {
        size_t i = 0;
        while (true) {
            while (i < s.size() && isPySpace(s[i])) ++i;
            if (i >= s.size()) break;
            if (maxSplit >= 0 && static_cast<int64_t>(out.size()) == maxSplit) {
                size_t end = s.size();
                while (end > i && isPySpace(s[end - 1])) --end;
                out.emplace_back(s.substr(i, end - i));
                break;
            }
            size_t j = i;
            while (j < s.size() && !isPySpace(s[j])) ++j;
            reserveGrowth(out.size() * sizeof(Value), sizeof(Value));
            out.emplace_back(s.substr(i, j - i));
            i = j;
        }
        return out;
    }
    const std::string sep = requireString(sepArg, "the separator");
    if (sep.empty()) throw runtimeError("empty separator");
    size_t start = 0;
    while (maxSplit < 0 || static_cast<int64_t>(out.size()) < maxSplit) {
        const size_t at = findText(s, sep, start);
        if (at == std::string::npos) break;
        reserveGrowth(out.size() * sizeof(Value), sizeof(Value));
        out.emplace_back(s.substr(start, at - start));
        start = at + sep.size();
    }
    out.emplace_back(s.substr(start));
    return out;
}

std::string pyReplace(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
    std::string out;
    size_t pos = 0;
    int64_t done = 0;
    if (from.empty()) {
        // Python inserts `to` around every character.
        for (const auto& ch : utf8Characters(s)) {
            if (count >= 0 && done >= count) {
                out += ch;
                continue;
            }
            reserveGrowth(out.size(), to.size() + ch.size());
            out += to;
            out += ch;
            ++done;
        }
        if (count < 0 || done < count) out += to;
        return out;
    }
    while (count < 0 || done < count) {
        const size_t at = findText(s, from, pos);
        if (at == std::string::npos) break;
        reserveGrowth(out.size(), at - pos + to.size());
        out.append(s, pos, at - pos);
        out += to;
        pos = at + from.size();
        ++done;
    }
    out.append(s, pos, std::string::npos);
    return out;
}

// Python's str.title(): a cased letter after an uncased character starts a word.
std::string pyTitle(const std::string& s) {
    std::string out = s;
    bool prevCased = false;
    for (char& c : out) {
        if (isAlpha(c)) {
            c = prevCased ? toLower(c) : toUpper(c);
            prevCased = true;
        } else {
            prevCased = false;
        }
    }
    return out;
}

bool matchesAffix(const std::string& s, const Value& affix, bool prefix) {
    const auto test = [&](const Value& v) {
        const std::string a = requireString(&v, prefix ? "startswith's argument" : "endswith's argument");
        return prefix ? s.starts_with(a) : s.ends_with(a);
    };
    if (affix.isList()) return std::any_of(affix.list().begin(), affix.list().end(), test);
    return test(affix);
}

// Python's str.format with {} / {0} / {name} fields ({{ and }} escape braces).
std::string pyFormat(const std::string& fmt, const CallArgs& args) {
    std::string out;
    size_t autoIndex = 0;
    for (size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
            out += '{';
            ++i;
        } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
            out += '}';
            ++i;
        } else if (c == '{') {
            const size_t close = fmt.find('}', i);
            if (close == std::string::npos) throw runtimeError("unmatched '{' in format string");
            const std::string field = fmt.substr(i + 1, close - i - 1);
            const Value* v = nullptr;
            if (field.empty()) {
                v = autoIndex < args.positional.size() ? &args.positional[autoIndex] : nullptr;
                ++autoIndex;
            } else if (std::all_of(field.begin(), field.end(), isDigitChar)) {
                size_t idx = 0;
                const auto parsed = std::from_chars(field.data(), field.data() + field.size(), idx);
                v = parsed.ec == std::errc() && idx < args.positional.size() ? &args.positional[idx] : nullptr;
            } else {
                for (const auto& [k, val] : args.named)
                    if (k == field) v = &val;
            }
            if (!v) throw runtimeError("format string field {" + field + "} has no argument");
            const std::string text = v->str();
            reserveGrowth(out.size(), text.size());
            out += text;
            i = close;
        } else {
            out += c;
        }
    }
    return out;
}

// One call of a method: `name` is the one the template wrote, for the error
// messages of functions that several names share.
struct MethodCall {
    const Value& self;
    std::string_view name;
    const CallArgs& args;

    const std::string& text() const { return self.asString(); }
};

using MethodFn = Value (*)(const MethodCall&);

Value stripMethod(const MethodCall& m) { return Value(pyStrip(m.text(), m.args.get("chars", 0), true, true)); }
Value lstripMethod(const MethodCall& m) { return Value(pyStrip(m.text(), m.args.get("chars", 0), true, false)); }
Value rstripMethod(const MethodCall& m) { return Value(pyStrip(m.text(), m.args.get("chars", 0), false, true)); }

Value splitMethod(const MethodCall& m) {
    return Value(pySplit(m.text(), m.args.get("sep", 0), optionalInt(m.args.get("maxsplit", 1), -1)));
}

Value splitlinesMethod(const MethodCall& m) {
    const std::string& s = m.text();
    ValueList lines;
    size_t start = 0;
    while (start < s.size()) {
        size_t end = s.find('\n', start);
        if (end == std::string::npos) end = s.size();
        std::string line = s.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.emplace_back(std::move(line));
        start = end + 1;
    }
    return Value(std::move(lines));
}

Value affixMethod(const MethodCall& m, bool prefix) {
    const Value* affix = m.args.get("prefix", 0);
    if (!affix) throw runtimeError(std::string(m.name) + "() needs an argument");
    return Value(matchesAffix(m.text(), *affix, prefix));
}

Value startswithMethod(const MethodCall& m) { return affixMethod(m, true); }
Value endswithMethod(const MethodCall& m) { return affixMethod(m, false); }

Value upperMethod(const MethodCall& m) {
    std::string out = m.text();
    for (char& c : out) c = toUpper(c);
    return Value(std::move(out));
}

Value lowerMethod(const MethodCall& m) {
    std::string out = m.text();
    for (char& c : out) c = toLower(c);
    return Value(std::move(out));
}

Value titleMethod(const MethodCall& m) { return Value(pyTitle(m.text())); }

Value capitalizeMethod(const MethodCall& m) {
    std::string out = m.text();
    for (size_t i = 0; i < out.size(); ++i) out[i] = i == 0 ? toUpper(out[i]) : toLower(out[i]);
    return Value(std::move(out));
}

Value replaceMethod(const MethodCall& m) {
    return Value(pyReplace(m.text(), requireString(m.args.get("old", 0), "replace's first argument"),
                           requireString(m.args.get("new", 1), "replace's second argument"),
                           optionalInt(m.args.get("count", 2), -1)));
}

// find, rfind and index: the character offset of `sub`.
Value findMethodCall(const MethodCall& m) {
    const std::string& s = m.text();
    const std::string sub = requireString(m.args.get("sub", 0), (std::string(m.name) + "'s argument").c_str());
    const size_t at = m.name == "rfind" ? s.rfind(sub) : findText(s, sub);
    if (at == std::string::npos) {
        if (m.name == "index") throw runtimeError("substring not found");
        return Value(-1);
    }
    return Value(static_cast<int64_t>(utf8Length(std::string_view(s).substr(0, at))));
}

Value countMethod(const MethodCall& m) {
    const std::string& s = m.text();
    const std::string sub = requireString(m.args.get("sub", 0), "count's argument");
    if (sub.empty()) return Value(static_cast<int64_t>(utf8Length(s) + 1));
    int64_t n = 0;
    for (size_t at = findText(s, sub); at != std::string::npos; at = findText(s, sub, at + sub.size())) ++n;
    return Value(n);
}

Value formatMethod(const MethodCall& m) { return Value(pyFormat(m.text(), m.args)); }

Value joinMethod(const MethodCall& m) {
    const std::string& s = m.text();
    const Value* items = m.args.get("iterable", 0);
    if (!items) throw runtimeError("join() needs an argument");
    std::string out;
    bool first = true;
    for (const auto& item : items->iterate()) {
        const std::string& text = requireString(&item, "every item join()s");
        reserveGrowth(out.size(), (first ? 0 : s.size()) + text.size());
        if (!first) out += s;
        first = false;
        out += text;
    }
    return Value(std::move(out));
}

template <typename Pred>
Value allCharacters(const std::string& s, Pred pred) {
    return Value(!s.empty() && std::all_of(s.begin(), s.end(), pred));
}

Value isdigitMethod(const MethodCall& m) { return allCharacters(m.text(), isDigitChar); }
Value isalphaMethod(const MethodCall& m) { return allCharacters(m.text(), isAlpha); }
Value isalnumMethod(const MethodCall& m) {
    return allCharacters(m.text(), [](char c) { return isAlpha(c) || isDigitChar(c); });
}
Value isspaceMethod(const MethodCall& m) { return allCharacters(m.text(), isPySpace); }

Value islowerMethod(const MethodCall& m) {
    const std::string& s = m.text();
    return Value(std::any_of(s.begin(), s.end(), isAlpha) &&
                 std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
}

Value isupperMethod(const MethodCall& m) {
    const std::string& s = m.text();
    return Value(std::any_of(s.begin(), s.end(), isAlpha) &&
                 std::none_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; }));
}

// Sorted by name, which the static_assert below checks.
constexpr auto kStringMethods = std::to_array<NamedEntry<MethodFn>>({
    {"capitalize", capitalizeMethod},
    {"count", countMethod},
    {"endswith", endswithMethod},
    {"find", findMethodCall},
    {"format", formatMethod},
    {"index", findMethodCall},
    {"isalnum", isalnumMethod},
    {"isalpha", isalphaMethod},
    {"isdigit", isdigitMethod},
    {"islower", islowerMethod},
    {"isspace", isspaceMethod},
    {"isupper", isupperMethod},
    {"join", joinMethod},
    {"lower", lowerMethod},
    {"lstrip", lstripMethod},
    {"replace", replaceMethod},
    {"rfind", findMethodCall},
    {"rstrip", rstripMethod},
    {"split", splitMethod},
    {"splitlines", splitlinesMethod},
    {"startswith", startswithMethod},
    {"strip", stripMethod},
    {"title", titleMethod},
    {"upper", upperMethod},
});
static_assert(sortedAndUnique(kStringMethods), "kStringMethods must be sorted by name");

Value itemsMethod(const MethodCall& m) {
    ValueList out;
    for (const auto& [k, v] : m.self.dict().entries) out.push_back(Value::tuple({Value(k), v}));
    return Value(std::move(out));
}

Value keysMethod(const MethodCall& m) { return Value(m.self.iterate()); }

Value valuesMethod(const MethodCall& m) {
    ValueList out;
    for (const auto& [k, v] : m.self.dict().entries) out.push_back(v);
    return Value(std::move(out));
}

Value getMethod(const MethodCall& m) {
    const Value* key = m.args.get("key", 0);
    if (!key) throw runtimeError("get() needs a key");
    const ValueDict& d = m.self.dict();
    const Value* found = key->isString() ? d.find(key->asString()) : d.find(key->str());
    if (found) return *found;
    const Value* fallback = m.args.get("default", 1);
    return fallback ? *fallback : Value(nullptr);
}

constexpr auto kDictMethods = std::to_array<NamedEntry<MethodFn>>({
    {"get", getMethod},
    {"items", itemsMethod},
    {"keys", keysMethod},
    {"values", valuesMethod},
});
static_assert(sortedAndUnique(kDictMethods), "kDictMethods must be sorted by name");

int64_t normalizeIndex(int64_t i, size_t size) { return i < 0 ? i + static_cast<int64_t>(size) : i; }

Value appendMethod(const MethodCall& m) {
    auto& items = m.self.list();
    const Value* v = m.args.get("object", 0);
    if (!v) throw runtimeError("append() needs an argument");
    reserveGrowth(items.size() * sizeof(Value), sizeof(Value));
    markChanged(m.self);
    items.push_back(*v);
    return Value(nullptr);
}

Value extendMethod(const MethodCall& m) {
    auto& items = m.self.list();
    const Value* v = m.args.get("iterable", 0);
    if (!v) throw runtimeError("extend() needs an argument");
    ValueList more = v->iterate();
    reserveGrowth(items.size() * sizeof(Value), more.size() * sizeof(Value));
    markChanged(m.self);
    for (auto& item : more) items.push_back(std::move(item));
    return Value(nullptr);
}

Value popMethod(const MethodCall& m) {
    auto& items = m.self.list();
    if (items.empty()) throw runtimeError("pop from an empty list");
    const int64_t i = normalizeIndex(optionalInt(m.args.get("index", 0), -1), items.size());
    if (i < 0 || i >= static_cast<int64_t>(items.size())) throw runtimeError("pop index out of range");
    Value v = items[static_cast<size_t>(i)];
    items.erase(items.begin() + i);
    return v;
}

Value insertMethod(const MethodCall& m) {
    auto& items = m.self.list();
    const Value* at = m.args.get("index", 0);
    const Value* v = m.args.get("object", 1);
    if (!at || !v || !at->isInt()) throw runtimeError("insert() needs an index and a value");
    const int64_t i =
        std::clamp<int64_t>(normalizeIndex(at->asInt(), items.size()), 0, static_cast<int64_t>(items.size()));
    reserveGrowth(items.size() * sizeof(Value), sizeof(Value));
    markChanged(m.self);
    items.insert(items.begin() + i, *v);
    return Value(nullptr);
}

const Value& listMethodArgument(const MethodCall& m) {
    const Value* v = m.args.get("value", 0);
    if (!v) throw runtimeError(std::string(m.name) + "() needs an argument");
    return *v;
}

Value listCountMethod(const MethodCall& m) {
    const Value& v = listMethodArgument(m);
    const auto& items = m.self.list();
    return Value(static_cast<int64_t>(std::count(items.begin(), items.end(), v)));
}

Value listIndexMethod(const MethodCall& m) {
    const Value& v = listMethodArgument(m);
    const auto& items = m.self.list();
    const auto it = std::find(items.begin(), items.end(), v);
    if (it == items.end()) throw runtimeError(v.repr() + " is not in the list");
    return Value(static_cast<int64_t>(it - items.begin()));
}

constexpr auto kListMethods = std::to_array<NamedEntry<MethodFn>>({
    {"append", appendMethod},
    {"count", listCountMethod},
    {"extend", extendMethod},
    {"index", listIndexMethod},
    {"insert", insertMethod},
    {"pop", popMethod},
});
static_assert(sortedAndUnique(kListMethods), "kListMethods must be sorted by name");

// `object.name` bound to its object, as Python's bound methods are.
Function bind(const Value& object, const std::string& name, MethodFn fn) {
    return [object, name, fn](const CallArgs& a) { return fn(MethodCall{object, name, a}); };
}

}  // namespace

std::string pyStrip(const std::string& s, const Value* chars, bool left, bool right) {
    const bool whitespace = !chars || chars->isNone() || chars->isUndefined();
    const std::string set = whitespace ? std::string() : requireString(chars, "strip's argument");
    const auto strip = [&](char c) { return whitespace ? isPySpace(c) : set.find(c) != std::string::npos; };
    size_t begin = 0, end = s.size();
    if (left)
        while (begin < end && strip(s[begin])) ++begin;
    if (right)
        while (end > begin && strip(s[end - 1])) --end;
    return s.substr(begin, end - begin);
}

std::optional<Value> findMethod(const Value& object, const std::string& name) {
    if (object.isString()) {
        if (const auto* method = findNamed(kStringMethods, name)) return Value(bind(object, name, method->fn));
    } else if (object.isDict() && !object.dict().isNamespace) {
        if (const auto* method = findNamed(kDictMethods, name)) return Value(bind(object, name, method->fn), object.depth());
    } else if (object.isList()) {
        if (const auto* method = findNamed(kListMethods, name)) return Value(bind(object, name, method->fn), object.depth());
    }
    return std::nullopt;
}

Value getItem(const Value& object, const Value& key) {
    if (object.isDict()) {
        const Value* found = object.dict().find(key.isString() ? key.asString() : key.str());
        if (found) return *found;
        if (key.isString()) {
            if (auto method = findMethod(object, key.asString())) return *method;
        }
        return Value::undefined(key.str());
    }
    if ((object.isList() || object.isString()) && key.isInt()) {
        if (object.isList()) {
            const auto& items = object.list();
            const int64_t i = normalizeIndex(key.asInt(), items.size());
            if (i < 0 || i >= static_cast<int64_t>(items.size())) return Value::undefined(key.str());
            return items[static_cast<size_t>(i)];
        }
        const std::string& s = object.asString();
        const int64_t i = normalizeIndex(key.asInt(), utf8Length(s));
        if (i < 0 || i >= static_cast<int64_t>(utf8Length(s))) return Value::undefined(key.str());
        size_t at = 0;
        for (int64_t skipped = 0; skipped < i; ++skipped) at += utf8CharacterLength(s, at);
        return Value(std::string_view(s).substr(at, utf8CharacterLength(s, at)));
    }
    if (key.isString()) return getAttribute(object, key.asString());
    return Value::undefined(key.str());
}

Value getAttribute(const Value& object, const std::string& name) {
    if (auto method = findMethod(object, name)) return *method;
    if (object.isDict()) {
        const Value* found = object.dict().find(name);
        return found ? *found : Value::undefined(name);
    }
    return Value::undefined(name);
}

Value sliceValue(const Value& target, const Value& startArg, const Value& stopArg, const Value& stepArg) {
    const auto bound = [](const Value& v, const char* what) -> std::optional<int64_t> {
        if (v.isUndefined() || v.isNone()) return std::nullopt;
        if (!v.isInt()) throw runtimeError(std::string("slice ") + what + " must be an integer");
        return v.asInt();
    };
    const int64_t step = bound(stepArg, "step").value_or(1);
    if (step == 0) throw runtimeError("slice step cannot be zero");

    size_t size = 0;
    if (target.isList()) {
        size = target.list().size();
    } else if (target.isString()) {
        size = utf8Length(target.asString());
    } else if (target.isUndefined() || target.isNone()) {
        return target;
    } else {
        throw runtimeError("cannot slice " + target.describeType());
    }
    // Python's slice.indices().
    const int64_t n = static_cast<int64_t>(size);
    const auto clampIndex = [&](std::optional<int64_t> v, int64_t dflt) {
        if (!v) return dflt;
        int64_t i = *v < 0 ? *v + n : *v;
        if (step > 0) return std::clamp<int64_t>(i, 0, n);
        return std::clamp<int64_t>(i, -1, n - 1);
    };
    const int64_t start = clampIndex(bound(startArg, "start"), step > 0 ? 0 : n - 1);
    const int64_t stop = clampIndex(bound(stopArg, "stop"), step > 0 ? n : -1);
    if (target.isString() && step == 1) {
        // The usual text[:n] needs no list of characters, however long the text.
        const std::string& text = target.asString();
        const auto offset = [&](int64_t chars) {
            size_t at = 0;
            for (int64_t i = 0; i < chars; ++i) at += utf8CharacterLength(text, at);
            return at;
        };
        const size_t from = offset(start);
        return Value(start < stop ? text.substr(from, offset(stop) - from) : std::string());
    }
    std::vector<size_t> picked;
    for (int64_t i = start; step > 0 ? i < stop : i > stop;) {
        picked.push_back(static_cast<size_t>(i));
        if (step > 0 ? step >= stop - i : step <= stop - i) break;  // the next index is past stop (or past int64)
        i += step;
    }
    if (target.isList()) {
        ValueList items;
        for (size_t i : picked) items.push_back(target.list()[i]);
        return Value(std::move(items));
    }
    const auto chars = utf8Characters(target.asString());
    std::string out;
    for (size_t i : picked) out += chars[i];
    return Value(std::move(out));
}

}  // namespace nibble::jinja
