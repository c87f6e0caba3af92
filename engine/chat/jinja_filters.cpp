// Jinja2's built-in filters and tests.
#include "chat/jinja_budget.h"
#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_json.h"
#include "chat/jinja_name_table.h"

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

std::string titleCased(const std::string& s) {
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

// One use of a filter or test: `name` is the one the template wrote, for the
// error messages of entries that several names share.
struct Call {
    std::string_view name;
    const Value& input;
    const CallArgs& args;

    const Value* first() const { return args.positional.empty() ? nullptr : &args.positional[0]; }
};

using FilterFn = Value (*)(const Call&);
using TestFn = bool (*)(const Call&);

Value absFilter(const Call& c) {
    if (isIntegerValue(c.input) || c.input.isBool()) {
        if (c.input.asInt() == INT64_MIN) throw runtimeError("the result is too large for an integer");
        return Value(static_cast<int64_t>(std::llabs(c.input.asInt())));
    }
    if (c.input.isNumber()) return Value(std::fabs(c.input.asFloat()));
    throw runtimeError("abs needs a number, got " + c.input.describeType());
}

Value capitalizeFilter(const Call& c) {
    std::string s = c.input.str();
    for (size_t i = 0; i < s.size(); ++i) s[i] = i == 0 ? toUpper(s[i]) : toLower(s[i]);
    return Value(std::move(s));
}

Value defaultFilter(const Call& c) {
    const bool boolean = argBool(c.args.get("boolean", 1), false);
    const bool useFallback = c.input.isUndefined() || (boolean && !c.input.truthy());
    if (!useFallback) return c.input;
    const Value* fallback = c.args.get("default_value", 0);
    return fallback ? *fallback : Value("");
}

Value dictsortFilter(const Call& c) {
    if (!c.input.isDict()) throw runtimeError("dictsort needs a mapping, got " + c.input.describeType());
    const bool caseSensitive = argBool(c.args.get("case_sensitive", 0), false);
    const bool byValue = argString(c.args.get("by", 1), "key") == "value";
    const bool reverse = argBool(c.args.get("reverse", 2), false);
    ValueList pairs = findMethod(c.input, "items")->function()({}).list();
    std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
        const int order = compareForSort(a.list()[byValue ? 1 : 0], b.list()[byValue ? 1 : 0], caseSensitive);
        return reverse ? order > 0 : order < 0;
    });
    return Value(std::move(pairs));
}

Value escapeFilter(const Call& c) { return Value(htmlEscape(c.input.str())); }

Value firstFilter(const Call& c) {
    ValueList items = c.input.iterate();
    if (items.empty()) return Value::undefined("first item of an empty sequence");
    return items.front();
}

Value floatFilter(const Call& c) { return toFloat(c.input, c.first() ? *c.first() : Value(0.0)); }

Value indentFilter(const Call& c) {
    return Value(indentText(c.input.str(), c.args.get("width", 0), argBool(c.args.get("first", 1), false),
                            argBool(c.args.get("blank", 2), false)));
}

Value intFilter(const Call& c) { return toInt(c.input, c.first() ? *c.first() : Value(0)); }

Value itemsFilter(const Call& c) {
    if (c.input.isUndefined()) return Value(ValueList{});
    if (!c.input.isDict()) throw runtimeError("items needs a mapping, got " + c.input.describeType());
    return findMethod(c.input, "items")->function()({});
}

Value joinFilter(const Call& c) {
    const std::string sep = argString(c.args.get("d", 0), "");
    const std::string attribute = argString(c.args.get("attribute", 1), "");
    std::string out;
    bool first = true;
    for (const auto& item : c.input.iterate()) {
        const std::string text = (attribute.empty() ? item : attributeOf(item, attribute)).str();
        reserveGrowth(out.size(), (first ? 0 : sep.size()) + text.size());
        if (!first) out += sep;
        first = false;
        out += text;
    }
    return Value(std::move(out));
}

Value lastFilter(const Call& c) {
    ValueList items = c.input.iterate();
    if (items.empty()) return Value::undefined("last item of an empty sequence");
    return items.back();
}

Value lengthFilter(const Call& c) {
    auto n = c.input.length();
    if (!n) throw runtimeError(c.input.describeType() + " has no length");
    return Value(static_cast<int64_t>(*n));
}

Value listFilter(const Call& c) { return Value(c.input.iterate()); }

Value lowerFilter(const Call& c) { return Value(lowered(c.input.str())); }

Value mapFilter(const Call& c) {
    ValueList out;
    if (const Value* attribute = c.args.get("attribute", 99)) {
        const Value* fallback = c.args.get("default", 99);
        for (const auto& item : c.input.iterate()) {
            Value v = attributeOf(item, attribute->str());
            out.push_back(v.isUndefined() && fallback ? *fallback : v);
        }
        return Value(std::move(out));
    }
    if (!c.first()) throw runtimeError("map needs a filter name or attribute=");
    const std::string filter = c.first()->str();
    const CallArgs filterArgs = restArgs(c.args, 1);
    for (const auto& item : c.input.iterate()) out.push_back(applyFilter(filter, item, filterArgs));
    return Value(std::move(out));
}

Value maxFilter(const Call& c) { return minMax(c.input, c.args, true); }

Value minFilter(const Call& c) { return minMax(c.input, c.args, false); }

Value rejectFilter(const Call& c) { return Value(selectItems(c.input, c.args, false, false)); }

Value rejectattrFilter(const Call& c) { return Value(selectItems(c.input, c.args, true, false)); }

Value replaceFilter(const Call& c) {
    const Value* from = c.args.get("old", 0);
    const Value* to = c.args.get("new", 1);
    if (!from || !to) throw runtimeError("replace needs two arguments");
    CallArgs methodArgs;
    methodArgs.positional = {Value(from->str()), Value(to->str())};
    if (const Value* count = c.args.get("count", 2); count && !count->isNone()) methodArgs.positional.push_back(*count);
    return findMethod(Value(c.input.str()), "replace")->function()(methodArgs);
}

Value reverseFilter(const Call& c) {
    if (c.input.isString()) {
        auto chars = utf8Characters(c.input.asString());
        std::string out;
        for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
        return Value(std::move(out));
    }
    ValueList items = c.input.iterate();
    std::reverse(items.begin(), items.end());
    return Value(std::move(items));
}

Value roundFilter(const Call& c) {
    const Value* a0 = c.first();
    const int64_t precision = a0 && a0->isInt() ? a0->asInt() : 0;
    const std::string method = argString(c.args.get("method", 1), "common");
    if (!c.input.isNumber()) throw runtimeError("round needs a number, got " + c.input.describeType());
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = c.input.asFloat() * scale;
    // Python's round() sends halves to the even neighbour.
    const double r = method == "floor" ? std::floor(x) : method == "ceil" ? std::ceil(x) : std::nearbyint(x);
    return Value(r / scale);
}

Value safeFilter(const Call& c) { return c.input; }

Value selectFilter(const Call& c) { return Value(selectItems(c.input, c.args, false, true)); }

Value selectattrFilter(const Call& c) { return Value(selectItems(c.input, c.args, true, true)); }

Value sortFilter(const Call& c) {
    return Value(sortedList(c.input.iterate(), argBool(c.args.get("reverse", 0), false),
                            argBool(c.args.get("case_sensitive", 1), false), argString(c.args.get("attribute", 2), "")));
}

Value stringFilter(const Call& c) { return Value(c.input.str()); }

Value sumFilter(const Call& c) {
    const std::string attribute = argString(c.args.get("attribute", 0), "");
    Value total = c.args.get("start", 1) ? *c.args.get("start", 1) : Value(0);
    for (const auto& item : c.input.iterate()) {
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

Value titleFilter(const Call& c) { return Value(titleCased(c.input.str())); }

Value tojsonFilter(const Call& c) {
    JsonFormat format;
    if (const Value* indent = c.args.get("indent", 0); indent && indent->isInt())
        format.indent = static_cast<int>(indent->asInt());
    format.sortKeys = argBool(c.args.get("sort_keys", 3), false);
    format.ensureAscii = argBool(c.args.get("ensure_ascii", 4), false);
    return Value(toJson(c.input, format));
}

Value trimFilter(const Call& c) { return Value(pyStrip(c.input.str(), c.args.get("chars", 0), true, true)); }

Value uniqueFilter(const Call& c) {
    const bool caseSensitive = argBool(c.args.get("case_sensitive", 0), false);
    const std::string attribute = argString(c.args.get("attribute", 1), "");
    ValueList out, seen;
    for (const auto& item : c.input.iterate()) {
        Value key = attribute.empty() ? item : attributeOf(item, attribute);
        if (!caseSensitive && key.isString()) key = Value(lowered(key.asString()));
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        out.push_back(item);
    }
    return Value(std::move(out));
}

Value upperFilter(const Call& c) {
    std::string s = c.input.str();
    for (char& ch : s) ch = toUpper(ch);
    return Value(std::move(s));
}

Value wordcountFilter(const Call& c) {
    int64_t words = 0;
    bool inWord = false;
    for (char ch : c.input.str()) {
        const bool wordChar = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                              ch == '_' || static_cast<unsigned char>(ch) >= 0x80;
        if (wordChar && !inWord) ++words;
        inWord = wordChar;
    }
    return Value(words);
}

// Sorted by name, which the static_assert below checks.
constexpr auto kFilters = std::to_array<NamedEntry<FilterFn>>({
    {"abs", absFilter},
    {"capitalize", capitalizeFilter},
    {"count", lengthFilter},
    {"d", defaultFilter},
    {"default", defaultFilter},
    {"dictsort", dictsortFilter},
    {"e", escapeFilter},
    {"escape", escapeFilter},
    {"first", firstFilter},
    {"float", floatFilter},
    {"indent", indentFilter},
    {"int", intFilter},
    {"items", itemsFilter},
    {"join", joinFilter},
    {"last", lastFilter},
    {"length", lengthFilter},
    {"list", listFilter},
    {"lower", lowerFilter},
    {"map", mapFilter},
    {"max", maxFilter},
    {"min", minFilter},
    {"reject", rejectFilter},
    {"rejectattr", rejectattrFilter},
    {"replace", replaceFilter},
    {"reverse", reverseFilter},
    {"round", roundFilter},
    {"safe", safeFilter},
    {"select", selectFilter},
    {"selectattr", selectattrFilter},
    {"sort", sortFilter},
    {"string", stringFilter},
    {"sum", sumFilter},
    {"title", titleFilter},
    {"tojson", tojsonFilter},
    {"trim", trimFilter},
    {"unique", uniqueFilter},
    {"upper", upperFilter},
    {"wordcount", wordcountFilter},
});
static_assert(sortedAndUnique(kFilters), "kFilters must be sorted by name");

// The argument a comparison test needs, or an error naming the test.
const Value& testArgument(const Call& c) {
    if (!c.first()) throw runtimeError("the test '" + std::string(c.name) + "' needs an argument");
    return *c.first();
}

int compareWithArgument(const Call& c) {
    const Value& other = testArgument(c);
    auto order = c.input.compare(other);
    if (!order) throw runtimeError("cannot compare " + c.input.describeType() + " with " + other.describeType());
    return *order;
}

bool parity(const Call& c, bool odd) {
    if (!c.input.isInt()) throw runtimeError("the test '" + std::string(c.name) + "' needs an integer");
    return (c.input.asInt() % 2 != 0) == odd;
}

bool callableTest(const Call& c) { return c.input.isCallable(); }
bool definedTest(const Call& c) { return !c.input.isUndefined(); }
bool undefinedTest(const Call& c) { return c.input.isUndefined(); }
bool noneTest(const Call& c) { return c.input.isNone(); }
bool booleanTest(const Call& c) { return c.input.isBool(); }
bool trueTest(const Call& c) { return c.input.isBool() && c.input.asBool(); }
bool falseTest(const Call& c) { return c.input.isBool() && !c.input.asBool(); }
bool integerTest(const Call& c) { return isIntegerValue(c.input); }
bool floatTest(const Call& c) { return c.input.kind() == Value::Kind::Float; }
bool numberTest(const Call& c) { return c.input.isNumber(); }
bool stringTest(const Call& c) { return c.input.isString(); }
bool mappingTest(const Call& c) { return c.input.isDict() && !c.input.dict().isNamespace; }
bool iterableTest(const Call& c) { return c.input.isString() || c.input.isList() || c.input.isDict(); }
bool escapedTest(const Call&) { return false; }

bool sequenceTest(const Call& c) {
    return c.input.isString() || c.input.isList() || (c.input.isDict() && !c.input.dict().isNamespace);
}

bool oddTest(const Call& c) { return parity(c, true); }
bool evenTest(const Call& c) { return parity(c, false); }

bool divisiblebyTest(const Call& c) {
    const Value& d = testArgument(c);
    if (!c.input.isInt() || !d.isInt() || d.asInt() == 0) throw runtimeError("divisibleby needs non-zero integers");
    return d.asInt() == -1 || c.input.asInt() % d.asInt() == 0;
}

bool equalTest(const Call& c) { return c.input == testArgument(c); }
bool notEqualTest(const Call& c) { return !(c.input == testArgument(c)); }
bool lessTest(const Call& c) { return compareWithArgument(c) < 0; }
bool lessOrEqualTest(const Call& c) { return compareWithArgument(c) <= 0; }
bool greaterTest(const Call& c) { return compareWithArgument(c) > 0; }
bool greaterOrEqualTest(const Call& c) { return compareWithArgument(c) >= 0; }

bool sameasTest(const Call& c) {
    const Value& o = testArgument(c);
    if (c.input.kind() != o.kind()) return false;
    if (c.input.isList()) return &c.input.list() == &o.list();
    if (c.input.isDict()) return &c.input.dict() == &o.dict();
    return c.input == o;
}

bool inTest(const Call& c) {
    const Value& container = testArgument(c);
    const Value& v = c.input;
    if (container.isString()) return v.isString() && findText(container.asString(), v.asString()) != std::string::npos;
    if (container.isDict()) return container.dict().find(v.str()) != nullptr;
    const ValueList items = container.iterate();
    return std::find(items.begin(), items.end(), v) != items.end();
}

bool lowerTest(const Call& c) {
    const std::string s = c.input.str();
    return std::none_of(s.begin(), s.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

bool upperTest(const Call& c) {
    const std::string s = c.input.str();
    return std::none_of(s.begin(), s.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; });
}

// Sorted by name (byte order, so the operators come first), which the static_assert below checks.
constexpr auto kTests = std::to_array<NamedEntry<TestFn>>({
    {"!=", notEqualTest},
    {"<", lessTest},
    {"<=", lessOrEqualTest},
    {"==", equalTest},
    {">", greaterTest},
    {">=", greaterOrEqualTest},
    {"boolean", booleanTest},
    {"callable", callableTest},
    {"defined", definedTest},
    {"divisibleby", divisiblebyTest},
    {"eq", equalTest},
    {"equalto", equalTest},
    {"escaped", escapedTest},
    {"even", evenTest},
    {"false", falseTest},
    {"float", floatTest},
    {"ge", greaterOrEqualTest},
    {"greaterthan", greaterTest},
    {"gt", greaterTest},
    {"in", inTest},
    {"integer", integerTest},
    {"iterable", iterableTest},
    {"le", lessOrEqualTest},
    {"lessthan", lessTest},
    {"lower", lowerTest},
    {"lt", lessTest},
    {"mapping", mappingTest},
    {"ne", notEqualTest},
    {"none", noneTest},
    {"number", numberTest},
    {"odd", oddTest},
    {"sameas", sameasTest},
    {"sequence", sequenceTest},
    {"string", stringTest},
    {"true", trueTest},
    {"undefined", undefinedTest},
    {"upper", upperTest},
});
static_assert(sortedAndUnique(kTests), "kTests must be sorted by name");

}  // namespace

Value applyFilter(const std::string& name, const Value& input, const CallArgs& args) {
    const auto* filter = findNamed(kFilters, name);
    if (!filter) throw runtimeError("no filter named '" + name + "'");
    return filter->fn(Call{name, input, args});
}

bool applyTest(const std::string& name, const Value& input, const CallArgs& args) {
    const auto* test = findNamed(kTests, name);
    if (!test) throw runtimeError("no test named '" + name + "'");
    return test->fn(Call{name, input, args});
}

}  // namespace nibble::jinja
