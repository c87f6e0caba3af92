// Jinja2's built-in filters and tests.
#include "chat/jinja_budget.h"
#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace nibble::jinja {

namespace {

char toLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
char toUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string lowered(std::string s) {
    for (char& c : s) c = toLower(c);
    return s;
}

bool argBool(const Value* v, bool fallback) { return v && !v->isUndefined() ? v->truthy() : fallback; }

std::string argString(const Value* v, const std::string& fallback) {
    if (!v || v->isUndefined() || v->isNone()) return fallback;
    return v->str();
}

// `attribute` may be dotted ("function.name"), as Jinja's make_attrgetter allows.
Value attributeOf(const Value& item, const std::string& path) {
    Value v = item;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
        v = numeric ? getItem(v, Value(static_cast<int64_t>(std::atoll(part.c_str())))) : getItem(v, Value(part));
        if (dot == std::string::npos) return v;
        start = dot + 1;
    }
}

// Sort key comparison; strings compare case-insensitively unless asked not to.
int compareForSort(const Value& a, const Value& b, bool caseSensitive) {
    if (!caseSensitive && a.isString() && b.isString()) {
        const std::string la = lowered(a.asString()), lb = lowered(b.asString());
        return la < lb ? -1 : la > lb ? 1 : 0;
    }
    auto c = a.compare(b);
    if (!c) throw runtimeError("cannot compare " + a.describeType() + " with " + b.describeType());
    return *c;
}

ValueList sortedList(ValueList items, bool reverse, bool caseSensitive, const std::string& attribute) {
    const auto key = [&](const Value& v) { return attribute.empty() ? v : attributeOf(v, attribute); };
    std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
        const int c = compareForSort(key(a), key(b), caseSensitive);
        return reverse ? c > 0 : c < 0;
    });
    return items;
}

// Arguments after the first `skip` positional ones, for a test called by name.
CallArgs restArgs(const CallArgs& args, size_t skip) {
    CallArgs rest;
    for (size_t i = skip; i < args.positional.size(); ++i) rest.positional.push_back(args.positional[i]);
    rest.named = args.named;
    return rest;
}

ValueList selectItems(const Value& input, const CallArgs& args, bool byAttribute, bool keep) {
    ValueList out;
    const std::string attribute = byAttribute ? argString(args.get("attribute", 0), "") : "";
    if (byAttribute && attribute.empty()) throw runtimeError("selectattr/rejectattr need an attribute name");
    const size_t testIndex = byAttribute ? 1 : 0;
    const bool hasTest = args.positional.size() > testIndex;
    const std::string test = hasTest ? args.positional[testIndex].str() : "";
    const CallArgs testArgs = restArgs(args, testIndex + 1);
    for (const auto& item : input.iterate()) {
        const Value subject = byAttribute ? attributeOf(item, attribute) : item;
        const bool passes = hasTest ? applyTest(test, subject, testArgs) : subject.truthy();
        if (passes == keep) out.push_back(item);
    }
    return out;
}

std::string indentText(const std::string& s, const Value* widthArg, bool first, bool blank) {
    const int64_t width = widthArg && widthArg->isInt() ? std::max<int64_t>(widthArg->asInt(), 0) : 4;
    if (!(widthArg && widthArg->isString())) reserveBytes(1, static_cast<uint64_t>(width));
    const std::string indention = widthArg && widthArg->isString() ? widthArg->asString()
                                                                    : std::string(static_cast<size_t>(width), ' ');
    // Python's splitlines() on s + "\n", as Jinja does.
    std::vector<std::string> lines;
    size_t start = 0;
    const std::string text = s + "\n";
    while (start < text.size()) {
        const size_t nl = text.find('\n', start);
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    std::string rv;
    if (blank) {
        for (size_t i = 0; i < lines.size(); ++i) {
            reserveGrowth(rv.size(), indention.size() + lines[i].size() + 1);
            rv += (i ? "\n" + indention : "") + lines[i];
        }
    } else {
        rv = lines[0];
        for (size_t i = 1; i < lines.size(); ++i) {
            reserveGrowth(rv.size(), indention.size() + lines[i].size() + 1);
            rv += "\n" + (lines[i].empty() ? "" : indention) + lines[i];
        }
    }
    reserveGrowth(rv.size(), first ? indention.size() : 0);
    return first ? indention + rv : rv;
}

std::string titleFilter(const std::string& s) {
    // Jinja splits words at runs of [-\s({[<] and capitalizes each piece.
    std::string out;
    bool wordStart = true;
    for (char c : s) {
        const bool separator = isSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
        if (separator) {
            out += c;
            wordStart = true;
        } else {
            out += wordStart ? toUpper(c) : toLower(c);
            wordStart = false;
        }
    }
    return out;
}

std::string htmlEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

Value toInt(const Value& v, const Value& fallback) {
    if (v.isInt()) return Value(v.asInt());
    if (v.kind() == Value::Kind::Float) return Value(truncateToInt(v.asFloat()));
    if (v.isString()) {
        const std::string s = pyStrip(v.asString(), nullptr, true, true);
        char* end = nullptr;
        const long long i = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && *end == '\0') return Value(static_cast<int64_t>(i));
        const double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == '\0' && std::isfinite(d)) return Value(truncateToInt(d));
    }
    return fallback;
}

Value toFloat(const Value& v, const Value& fallback) {
    if (v.isNumber()) return Value(v.asFloat());
    if (v.isString()) {
        const std::string s = pyStrip(v.asString(), nullptr, true, true);
        char* end = nullptr;
        const double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == '\0') return Value(d);
    }
    return fallback;
}

Value minMax(const Value& input, const CallArgs& args, bool wantMax) {
    const ValueList items = input.iterate();
    if (items.empty()) return Value::undefined("no items");
    const bool caseSensitive = argBool(args.get("case_sensitive", 0), false);
    const std::string attribute = argString(args.get("attribute", 1), "");
    const auto key = [&](const Value& v) { return attribute.empty() ? v : attributeOf(v, attribute); };
    Value best = items[0];
    for (size_t i = 1; i < items.size(); ++i) {
        const int c = compareForSort(key(items[i]), key(best), caseSensitive);
        if (wantMax ? c > 0 : c < 0) best = items[i];
    }
    return best;
}

bool isIntegerValue(const Value& v) { return v.kind() == Value::Kind::Int; }

}  // namespace

Value applyFilter(const std::string& name, const Value& input, const CallArgs& args) {
    const Value* a0 = args.positional.empty() ? nullptr : &args.positional[0];
    if (name == "trim") return Value(pyStrip(input.str(), args.get("chars", 0), true, true));
    if (name == "upper" || name == "lower") {
        std::string s = input.str();
        for (char& c : s) c = name == "upper" ? toUpper(c) : toLower(c);
        return Value(std::move(s));
    }
    if (name == "capitalize") {
        std::string s = input.str();
        for (size_t i = 0; i < s.size(); ++i) s[i] = i == 0 ? toUpper(s[i]) : toLower(s[i]);
        return Value(std::move(s));
    }
    if (name == "title") return Value(titleFilter(input.str()));
    if (name == "length" || name == "count") {
        auto n = input.length();
        if (!n) throw runtimeError(input.describeType() + " has no length");
        return Value(static_cast<int64_t>(*n));
    }
    if (name == "first" || name == "last") {
        ValueList items = input.iterate();
        if (items.empty()) return Value::undefined(name + " item of an empty sequence");
        return name == "first" ? items.front() : items.back();
    }
    if (name == "join") {
        const std::string sep = argString(args.get("d", 0), "");
        const std::string attribute = argString(args.get("attribute", 1), "");
        std::string out;
        bool first = true;
        for (const auto& item : input.iterate()) {
            const std::string text = (attribute.empty() ? item : attributeOf(item, attribute)).str();
            reserveGrowth(out.size(), (first ? 0 : sep.size()) + text.size());
            if (!first) out += sep;
            first = false;
            out += text;
        }
        return Value(std::move(out));
    }
    if (name == "replace") {
        const Value* from = args.get("old", 0);
        const Value* to = args.get("new", 1);
        if (!from || !to) throw runtimeError("replace needs two arguments");
        CallArgs methodArgs;
        methodArgs.positional = {Value(from->str()), Value(to->str())};
        if (const Value* count = args.get("count", 2); count && !count->isNone()) methodArgs.positional.push_back(*count);
        return findMethod(Value(input.str()), "replace")->function()(methodArgs);
    }
    if (name == "default" || name == "d") {
        const bool boolean = argBool(args.get("boolean", 1), false);
        const bool useFallback = input.isUndefined() || (boolean && !input.truthy());
        if (!useFallback) return input;
        const Value* fallback = args.get("default_value", 0);
        return fallback ? *fallback : Value("");
    }
    if (name == "tojson") {
        JsonFormat format;
        if (const Value* indent = args.get("indent", 0); indent && indent->isInt()) format.indent = static_cast<int>(indent->asInt());
        format.sortKeys = argBool(args.get("sort_keys", 3), false);
        format.ensureAscii = argBool(args.get("ensure_ascii", 4), false);
        return Value(toJson(input, format));
    }
    if (name == "string") return Value(input.str());
    if (name == "int") return toInt(input, a0 ? *a0 : Value(0));
    if (name == "float") return toFloat(input, a0 ? *a0 : Value(0.0));
    if (name == "list") return Value(input.iterate());
    if (name == "items") {
        if (input.isUndefined()) return Value(ValueList{});
        if (!input.isDict()) throw runtimeError("items needs a mapping, got " + input.describeType());
        return findMethod(input, "items")->function()({});
    }
    if (name == "select" || name == "reject") return Value(selectItems(input, args, false, name == "select"));
    if (name == "selectattr" || name == "rejectattr")
        return Value(selectItems(input, args, true, name == "selectattr"));
    if (name == "map") {
        ValueList out;
        if (const Value* attribute = args.get("attribute", 99)) {
            const Value* fallback = args.get("default", 99);
            for (const auto& item : input.iterate()) {
                Value v = attributeOf(item, attribute->str());
                out.push_back(v.isUndefined() && fallback ? *fallback : v);
            }
            return Value(std::move(out));
        }
        if (!a0) throw runtimeError("map needs a filter name or attribute=");
        const CallArgs filterArgs = restArgs(args, 1);
        for (const auto& item : input.iterate()) out.push_back(applyFilter(a0->str(), item, filterArgs));
        return Value(std::move(out));
    }
    if (name == "unique") {
        const bool caseSensitive = argBool(args.get("case_sensitive", 0), false);
        const std::string attribute = argString(args.get("attribute", 1), "");
        ValueList out, seen;
        for (const auto& item : input.iterate()) {
            Value key = attribute.empty() ? item : attributeOf(item, attribute);
            if (!caseSensitive && key.isString()) key = Value(lowered(key.asString()));
            if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
            seen.push_back(key);
            out.push_back(item);
        }
        return Value(std::move(out));
    }
    if (name == "safe") return input;
    if (name == "escape" || name == "e") return Value(htmlEscape(input.str()));
    if (name == "indent")
        return Value(indentText(input.str(), args.get("width", 0), argBool(args.get("first", 1), false),
                                argBool(args.get("blank", 2), false)));
    if (name == "round") {
        const int64_t precision = a0 && a0->isInt() ? a0->asInt() : 0;
        const std::string method = argString(args.get("method", 1), "common");
        if (!input.isNumber()) throw runtimeError("round needs a number, got " + input.describeType());
        const double scale = std::pow(10.0, static_cast<double>(precision));
        const double x = input.asFloat() * scale;
        // Python's round() sends halves to the even neighbour.
        const double r = method == "floor" ? std::floor(x) : method == "ceil" ? std::ceil(x) : std::nearbyint(x);
        return Value(r / scale);
    }
    if (name == "abs") {
        if (isIntegerValue(input) || input.isBool()) {
            if (input.asInt() == INT64_MIN) throw runtimeError("the result is too large for an integer");
            return Value(static_cast<int64_t>(std::llabs(input.asInt())));
        }
        if (input.isNumber()) return Value(std::fabs(input.asFloat()));
        throw runtimeError("abs needs a number, got " + input.describeType());
    }
    if (name == "sort")
        return Value(sortedList(input.iterate(), argBool(args.get("reverse", 0), false),
                                argBool(args.get("case_sensitive", 1), false), argString(args.get("attribute", 2), "")));
    if (name == "dictsort") {
        if (!input.isDict()) throw runtimeError("dictsort needs a mapping, got " + input.describeType());
        const bool caseSensitive = argBool(args.get("case_sensitive", 0), false);
        const bool byValue = argString(args.get("by", 1), "key") == "value";
        const bool reverse = argBool(args.get("reverse", 2), false);
        ValueList pairs = findMethod(input, "items")->function()({}).list();
        std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
            const int c = compareForSort(a.list()[byValue ? 1 : 0], b.list()[byValue ? 1 : 0], caseSensitive);
            return reverse ? c > 0 : c < 0;
        });
        return Value(std::move(pairs));
    }
    if (name == "reverse") {
        if (input.isString()) {
            auto chars = utf8Characters(input.asString());
            std::string out;
            for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
            return Value(std::move(out));
        }
        ValueList items = input.iterate();
        std::reverse(items.begin(), items.end());
        return Value(std::move(items));
    }
    if (name == "wordcount") {
        int64_t words = 0;
        bool inWord = false;
        for (char c : input.str()) {
            const bool wordChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                  c == '_' || static_cast<unsigned char>(c) >= 0x80;
            if (wordChar && !inWord) ++words;
            inWord = wordChar;
        }
        return Value(words);
    }
    if (name == "sum") {
        const std::string attribute = argString(args.get("attribute", 0), "");
        Value total = args.get("start", 1) ? *args.get("start", 1) : Value(0);
        for (const auto& item : input.iterate()) {
            const Value v = attribute.empty() ? item : attributeOf(item, attribute);
            if (!v.isNumber() || !total.isNumber()) throw runtimeError("sum needs numbers");
            int64_t sum = 0;
            if (total.kind() == Value::Kind::Float || v.kind() == Value::Kind::Float)
                total = Value(total.asFloat() + v.asFloat());
            else if (__builtin_add_overflow(total.asInt(), v.asInt(), &sum))
                throw runtimeError("the result is too large for an integer");
            else
                total = Value(sum);
        }
        return total;
    }
    if (name == "min" || name == "max") return minMax(input, args, name == "max");
    throw runtimeError("no filter named '" + name + "'");
}

bool applyTest(const std::string& name, const Value& v, const CallArgs& args) {
    const Value* a0 = args.positional.empty() ? nullptr : &args.positional[0];
    const auto needArg = [&]() -> const Value& {
        if (!a0) throw runtimeError("the test '" + name + "' needs an argument");
        return *a0;
    };
    if (name == "defined") return !v.isUndefined();
    if (name == "undefined") return v.isUndefined();
    if (name == "none") return v.isNone();
    if (name == "boolean") return v.isBool();
    if (name == "true") return v.isBool() && v.asBool();
    if (name == "false") return v.isBool() && !v.asBool();
    if (name == "integer") return isIntegerValue(v);
    if (name == "float") return v.kind() == Value::Kind::Float;
    if (name == "number") return v.isNumber();
    if (name == "string") return v.isString();
    if (name == "mapping") return v.isDict() && !v.dict().isNamespace;
    if (name == "iterable") return v.isString() || v.isList() || v.isDict();
    if (name == "sequence") return v.isString() || v.isList() || (v.isDict() && !v.dict().isNamespace);
    if (name == "callable") return v.isCallable();
    if (name == "odd" || name == "even") {
        if (!v.isInt()) throw runtimeError("the test '" + name + "' needs an integer");
        return (v.asInt() % 2 != 0) == (name == "odd");
    }
    if (name == "divisibleby") {
        const Value& d = needArg();
        if (!v.isInt() || !d.isInt() || d.asInt() == 0) throw runtimeError("divisibleby needs non-zero integers");
        return d.asInt() == -1 || v.asInt() % d.asInt() == 0;
    }
    if (name == "eq" || name == "equalto" || name == "==") return v == needArg();
    if (name == "ne" || name == "!=") return !(v == needArg());
    if (name == "sameas") {
        const Value& o = needArg();
        if (v.kind() != o.kind()) return false;
        if (v.isList()) return &v.list() == &o.list();
        if (v.isDict()) return &v.dict() == &o.dict();
        return v == o;
    }
    if (name == "lt" || name == "lessthan" || name == "<" || name == "le" || name == "<=" || name == "gt" ||
        name == "greaterthan" || name == ">" || name == "ge" || name == ">=") {
        auto c = v.compare(needArg());
        if (!c) throw runtimeError("cannot compare " + v.describeType() + " with " + a0->describeType());
        if (name == "lt" || name == "lessthan" || name == "<") return *c < 0;
        if (name == "le" || name == "<=") return *c <= 0;
        if (name == "gt" || name == "greaterthan" || name == ">") return *c > 0;
        return *c >= 0;
    }
    if (name == "in") {
        const Value& container = needArg();
        if (container.isString()) return v.isString() && findText(container.asString(), v.asString()) != std::string::npos;
        if (container.isDict()) return container.dict().find(v.str()) != nullptr;
        const ValueList items = container.iterate();
        return std::find(items.begin(), items.end(), v) != items.end();
    }
    if (name == "lower" || name == "upper") {
        const std::string s = v.str();
        return std::none_of(s.begin(), s.end(), [&](char c) {
            return name == "lower" ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');
        });
    }
    if (name == "escaped") return false;
    throw runtimeError("no test named '" + name + "'");
}

}  // namespace nibble::jinja
