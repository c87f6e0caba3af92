#pragma once
// The parsed form of a template: statements holding expressions. Every node
// keeps its source line so errors can point at it.
#include "chat/jinja_value.h"

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace nibble::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,   // value
        Name,      // name
        List,      // items
        Tuple,     // items, as (a, b) or `a, b`
        Dict,      // items: key, value, key, value, ...
        Attribute, // items[0].name
        Index,     // items[0][items[1]]
        Slice,     // items[0][items[1]:items[2]:items[3]], absent parts are null
        Call,      // items[0](items[1..], kwargs)
        Filter,    // items[0] | name(items[1..], kwargs)
        Test,      // items[0] is [not] name(items[1..], kwargs)
        Unary,     // name ("-", "+", "not") items[0]
        Binary,    // items[0] name items[1]; name is an operator, "and", "or", "in" or "not in"
        Ternary,   // items[0] if items[1] else items[2] (items[2] null: undefined)
    };

    Kind kind;
    int line = 0;
    Value value;
    std::string name;
    std::vector<ExprPtr> items;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    bool negated = false;  // Test: `is not`
    int height = 1;        // levels of this expression's tree, for Limits::maxDepth

    Expr(Kind k, int l) : kind(k), line(l) {}
};

struct Stmt;
using Body = std::vector<Stmt>;

struct TextStmt {
    std::string text;
};

struct OutputStmt {
    ExprPtr expr;
};

struct IfStmt {
    std::vector<std::pair<ExprPtr, Body>> branches;  // if and elif, in order
    Body otherwise;
};

struct ForStmt {
    std::vector<std::string> targets;  // one name, or several to unpack each item
    ExprPtr iterable;
    ExprPtr condition;  // `for x in y if condition`; may be null
    Body body;
    Body otherwise;     // rendered when nothing was iterated
};

struct SetStmt {
    std::string object;                // `set object.attribute = ...`; empty for plain names
    std::vector<std::string> targets;  // the names, or the one attribute
    ExprPtr value;                     // null for a block set, whose value is the rendered body
    Body body;
    ExprPtr filter;  // block set with `| filter`: a Filter expression whose items[0] is null
};

struct MacroStmt {
    std::string name;
    std::vector<std::string> params;
    std::vector<ExprPtr> defaults;  // one per param; null when the param has none
    std::shared_ptr<Body> body;     // shared with the macro values made from it
};

struct CallBlockStmt {
    ExprPtr call;  // the macro call; `caller()` inside it renders body
    std::vector<std::string> params;
    std::shared_ptr<Body> body;
};

struct FilterBlockStmt {
    ExprPtr filter;  // Filter expression(s) whose innermost items[0] is null: the rendered body
    Body body;
};

// `{% generation %}` (Hugging Face's assistant-mask marker) only renders its body.
struct ScopeStmt {
    Body body;
};

struct LoopControlStmt {
    bool isBreak;
};

struct Stmt {
    int line = 0;
    std::variant<TextStmt, OutputStmt, IfStmt, ForStmt, SetStmt, MacroStmt, CallBlockStmt, FilterBlockStmt,
                 ScopeStmt, LoopControlStmt>
        node;
};

}  // namespace nibble::jinja
