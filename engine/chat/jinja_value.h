#pragma once
// The values a chat template computes with. They follow Python's semantics,
// because templates are written against Jinja2 running in Python: lists and
// dicts are shared by reference (a namespace changed inside a loop stays
// changed), 1 == 1.0 == True, and printing uses Python's str()/repr().
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nibble::jinja {

class Value;
using ValueList = std::vector<Value>;

// Insertion-ordered like a Python dict, so tojson and items() keep the order
// the template (or the caller) wrote. Dicts are small; lookups are linear.
struct ValueDict {
    std::vector<std::pair<std::string, Value>> entries;
    bool isNamespace = false;  // made by namespace(): the only object `set x.y = ...` may change

    const Value* find(std::string_view key) const;
    void set(std::string key, Value value);
};

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> named;

    // The argument called `name`, or else the positional one at `index`; nullptr when neither was given.
    const Value* get(std::string_view name, size_t index) const;
};

using Function = std::function<Value(const CallArgs&)>;

class Value {
public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Function };

    Value() = default;  // undefined
    Value(std::nullptr_t) : kind_(Kind::None) {}
    Value(bool b) : kind_(Kind::Bool), int_(b) {}
    Value(int v) : kind_(Kind::Int), int_(v) {}
    Value(int64_t v) : kind_(Kind::Int), int_(v) {}
    Value(size_t v) : kind_(Kind::Int), int_(static_cast<int64_t>(v)) {}
    Value(double v) : kind_(Kind::Float), float_(v) {}
    Value(std::string s) : kind_(Kind::String), string_(std::move(s)) {}
    Value(std::string_view s) : kind_(Kind::String), string_(s) {}
    Value(const char* s) : kind_(Kind::String), string_(s) {}
    Value(ValueList list) : kind_(Kind::List), list_(std::make_shared<ValueList>(std::move(list))) {}
    Value(ValueDict dict) : kind_(Kind::Dict), dict_(std::make_shared<ValueDict>(std::move(dict))) {}
    Value(Function f) : kind_(Kind::Function), function_(std::make_shared<Function>(std::move(f))) {}

    // An undefined value that remembers what was looked up, for error messages.
    static Value undefined(std::string what);
    // A list that prints as a Python tuple: (1, 2), as items() pairs do.
    static Value tuple(ValueList items);

    Kind kind() const { return kind_; }
    bool isUndefined() const { return kind_ == Kind::Undefined; }
    bool isNone() const { return kind_ == Kind::None; }
    bool isBool() const { return kind_ == Kind::Bool; }
    bool isInt() const { return kind_ == Kind::Int || kind_ == Kind::Bool; }
    bool isNumber() const { return isInt() || kind_ == Kind::Float; }
    bool isString() const { return kind_ == Kind::String; }
    bool isList() const { return kind_ == Kind::List; }
    bool isDict() const { return kind_ == Kind::Dict; }
    bool isCallable() const { return kind_ == Kind::Function; }
    bool isTuple() const { return kind_ == Kind::List && tuple_; }

    bool asBool() const { return int_ != 0; }
    int64_t asInt() const { return kind_ == Kind::Float ? static_cast<int64_t>(float_) : int_; }
    double asFloat() const { return kind_ == Kind::Float ? float_ : static_cast<double>(int_); }
    const std::string& asString() const { return string_; }
    // For an undefined value: the name that was looked up.
    const std::string& undefinedName() const { return string_; }
    ValueList& list() const { return *list_; }
    ValueDict& dict() const { return *dict_; }
    const Function& function() const { return *function_; }

    // Python's bool(): empty strings and containers, 0, None and undefined are false.
    bool truthy() const;
    // Python's str(): what {{ value }} prints. Undefined prints nothing.
    std::string str() const;
    // Python's repr(): strings quoted, as inside a printed list.
    std::string repr() const;
    // The type for error messages, with its article ("a string", "an integer").
    std::string describeType() const;

    // Python equality: numbers by value across int/float/bool, containers element-wise.
    bool operator==(const Value& other) const;
    // Python ordering of numbers, strings and lists; nullopt where Python raises TypeError.
    std::optional<int> compare(const Value& other) const;

    // The elements a for loop visits: list items, dict keys, a string's characters.
    ValueList iterate() const;
    // len(); nullopt for values without a length.
    std::optional<size_t> length() const;

private:
    Kind kind_ = Kind::Undefined;
    bool tuple_ = false;
    int64_t int_ = 0;
    double float_ = 0;
    std::string string_;
    std::shared_ptr<ValueList> list_;
    std::shared_ptr<ValueDict> dict_;
    std::shared_ptr<Function> function_;
};

// Python's float repr (shortest round-trip, always with a '.' or exponent).
std::string formatFloat(double value);
// Splits UTF-8 text into its characters (code points), as Python iterates a str.
std::vector<std::string> utf8Characters(std::string_view text);
// Appends the escapes that Python's repr and JSON spell alike (the quote
// character, backslash, \n, \r, \t); false when `c` needs none of them.
bool appendCommonEscape(std::string& out, char c, char quote);

}  // namespace nibble::jinja
