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

// int(x) for a float, clamped to the int64 range (Python's ints have none); NaN is 0.
int64_t truncateToInt(double x);

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
    // Strings, lists and dicts made during a render count against its Budget.
    Value(std::string s);
    Value(std::string_view s) : Value(std::string(s)) {}
    Value(const char* s) : Value(std::string(s)) {}
    Value(ValueList list);
    Value(ValueDict dict);
    Value(Function f) : kind_(Kind::Function), depth_(1), function_(std::make_shared<Function>(std::move(f))) {}
    // A function holding on to values (a bound method, a call block's caller)
    // nests them: `captured` is the deepest one's depth().
    Value(Function f, int captured);

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
    int64_t asInt() const { return kind_ == Kind::Float ? truncateToInt(float_) : int_; }
    double asFloat() const { return kind_ == Kind::Float ? float_ : static_cast<double>(int_); }
    const std::string& asString() const { return string_ ? *string_ : emptyString(); }
    // For an undefined value: the name that was looked up.
    const std::string& undefinedName() const { return asString(); }
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

    // How many containers deep this value is: 0 for scalars, 1 + its deepest item
    // for lists, dicts and functions, as recorded when it was made. Making a value
    // deeper than Limits::maxDepth fails, so that no value is too deep to free.
    int depth() const { return depth_; }
    // For a container whose items will change in place (a loop object): records
    // that it may come to hold values `itemDepth` deep.
    void allowItemDepth(int itemDepth);

    // True when both are the same list or dict (not merely equal ones).
    bool sameContainer(const Value& other) const;
    // Moves a list's items or a dict's values out into `into`, for Budget to
    // break reference cycles.
    void moveContentsInto(std::vector<Value>& into) const;

private:
    static const std::string& emptyString();

    void setDepth(int depth);

    Kind kind_ = Kind::Undefined;
    bool tuple_ = false;
    int depth_ = 0;
    int64_t int_ = 0;
    double float_ = 0;
    // Shared, since values are copied on every variable lookup; never changed.
    std::shared_ptr<const std::string> string_;
    std::shared_ptr<ValueList> list_;
    std::shared_ptr<ValueDict> dict_;
    std::shared_ptr<Function> function_;
};

// Python's float repr (shortest round-trip, always with a '.' or exponent).
std::string formatFloat(double value);
// Where `needle` first occurs in `haystack` at or after `from`, in linear time; npos if nowhere.
size_t findText(std::string_view haystack, std::string_view needle, size_t from = 0);
// The byte length of the UTF-8 character at text[at]; a stray byte is a character of its own.
size_t utf8CharacterLength(std::string_view text, size_t at);
// The number of characters (code points) in UTF-8 text, as Python's len(str).
size_t utf8Length(std::string_view text);
// Splits UTF-8 text into its characters (code points), as Python iterates a
// str; the views point into `text`.
std::vector<std::string_view> utf8Characters(std::string_view text);
// Appends the escapes that Python's repr and JSON spell alike (the quote
// character, backslash, \n, \r, \t); false when `c` needs none of them.
bool appendCommonEscape(std::string& out, char c, char quote);

}  // namespace nibble::jinja
