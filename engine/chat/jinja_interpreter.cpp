#include "chat/jinja_interpreter.h"

#include "chat/jinja_budget.h"
#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"

#include <cmath>
#include <limits>

namespace nibble::jinja {

namespace {

[[noreturn]] void undefinedError(const Value& v) {
    throw runtimeError(v.undefinedName().empty() ? std::string("a value is undefined")
                                                 : "'" + v.undefinedName() + "' is undefined");
}

void requireDefined(const Value& v) {
    if (v.isUndefined()) undefinedError(v);
}

// Python's ints never overflow; ours are 64 bits, and going past that is an error, not wrapping.
[[noreturn]] void intOverflow() { throw runtimeError("the result is too large for an integer"); }

int64_t checkedAdd(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) intOverflow();
    return r;
}

int64_t checkedSub(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) intOverflow();
    return r;
}

int64_t checkedMul(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) intOverflow();
    return r;
}

int64_t floorDiv(int64_t a, int64_t b) {
    if (a == std::numeric_limits<int64_t>::min() && b == -1) intOverflow();
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

int64_t power(int64_t base, int64_t exponent) {
    int64_t r = 1;
    while (exponent > 0) {
        if (exponent & 1) r = checkedMul(r, base);
        exponent >>= 1;
        if (exponent > 0) base = checkedMul(base, base);
    }
    return r;
}

Value repeat(const Value& seq, int64_t times) {
    times = std::max<int64_t>(times, 0);
    if (seq.isString() ? seq.asString().empty() : seq.list().empty()) return seq.isString() ? Value("") : Value(ValueList{});
    if (seq.isString()) {
        reserveBytes(seq.asString().size(), static_cast<uint64_t>(times));
        std::string out;
        out.reserve(seq.asString().size() * static_cast<size_t>(times));
        for (int64_t i = 0; i < times; ++i) out += seq.asString();
        return Value(std::move(out));
    }
    reserveBytes(sizeof(Value) * seq.list().size(), static_cast<uint64_t>(times));
    countSteps(times);
    ValueList out;
    for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.list().begin(), seq.list().end());
    return Value(std::move(out));
}

std::string concat(const std::string& a, const std::string& b) {
    reserveBytes(1, static_cast<uint64_t>(a.size()) + b.size());
    return a + b;
}

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
    throw runtimeError("cannot apply '" + op + "' to " + a.describeType() + " and " + b.describeType());
}

// Python's arithmetic and comparison operators.
Value binaryOp(const std::string& op, const Value& a, const Value& b) {
    if (op == "~") return Value(concat(a.str(), b.str()));
    if (op == "==") return Value(a == b);
    if (op == "!=") return Value(!(a == b));
    if (op == "in" || op == "not in") {
        bool found = false;
        if (b.isString()) {
            if (!a.isString()) throw runtimeError("'in <string>' needs a string on the left, not " + a.describeType());
            found = findText(b.asString(), a.asString()) != std::string::npos;
        } else if (b.isDict()) {
            found = a.isString() && b.dict().find(a.asString()) != nullptr;
        } else if (b.isList()) {
            for (const auto& item : b.list()) found = found || item == a;
        } else if (!b.isUndefined() && !b.isNone()) {
            throw runtimeError("cannot test membership in " + b.describeType());
        }
        return Value(op == "in" ? found : !found);
    }
    requireDefined(a);
    requireDefined(b);
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
        auto c = a.compare(b);
        if (!c) unsupported(op, a, b);
        if (op == "<") return Value(*c < 0);
        if (op == "<=") return Value(*c <= 0);
        if (op == ">") return Value(*c > 0);
        return Value(*c >= 0);
    }
    const bool bothInt = a.isInt() && b.isInt();
    if (op == "+") {
        if (a.isNumber() && b.isNumber())
            return bothInt ? Value(checkedAdd(a.asInt(), b.asInt())) : Value(a.asFloat() + b.asFloat());
        if (a.isString() && b.isString()) return Value(concat(a.asString(), b.asString()));
        if (a.isList() && b.isList()) {
            reserveBytes(sizeof(Value), static_cast<uint64_t>(a.list().size()) + b.list().size());
            ValueList out = a.list();
            out.insert(out.end(), b.list().begin(), b.list().end());
            return Value(std::move(out));
        }
        unsupported(op, a, b);
    }
    if (op == "*") {
        if (a.isNumber() && b.isNumber())
            return bothInt ? Value(checkedMul(a.asInt(), b.asInt())) : Value(a.asFloat() * b.asFloat());
        if ((a.isString() || a.isList()) && b.isInt()) return repeat(a, b.asInt());
        if (a.isInt() && (b.isString() || b.isList())) return repeat(b, a.asInt());
        unsupported(op, a, b);
    }
    if (!a.isNumber() || !b.isNumber()) unsupported(op, a, b);
    if (op == "-") return bothInt ? Value(checkedSub(a.asInt(), b.asInt())) : Value(a.asFloat() - b.asFloat());
    if (op == "**") {
        if (bothInt && b.asInt() >= 0) return Value(power(a.asInt(), b.asInt()));
        return Value(std::pow(a.asFloat(), b.asFloat()));
    }
    const bool zero = b.kind() == Value::Kind::Float ? b.asFloat() == 0 : b.asInt() == 0;
    if (zero) throw runtimeError("division by zero");
    if (op == "/") return Value(a.asFloat() / b.asFloat());
    if (op == "//") return bothInt ? Value(floorDiv(a.asInt(), b.asInt())) : Value(std::floor(a.asFloat() / b.asFloat()));
    if (op == "%") {
        if (bothInt) {
            const int64_t r = b.asInt() == -1 ? 0 : a.asInt() % b.asInt();
            return Value(r != 0 && ((r < 0) != (b.asInt() < 0)) ? r + b.asInt() : r);
        }
        const double r = std::fmod(a.asFloat(), b.asFloat());
        return Value(r != 0 && ((r < 0) != (b.asFloat() < 0)) ? r + b.asFloat() : r);
    }
    throw runtimeError("unknown operator '" + op + "'");
}

// Jinja's `loop`: one object per for statement whose fields move on with each
// iteration, so an iteration costs no allocation beyond the item itself.
class LoopObject {
public:
    explicit LoopObject(const ValueList& items) : items_(items), index_(std::make_shared<size_t>(0)) {
        int deepest = 0;
        for (const auto& item : items) deepest = std::max(deepest, item.depth());
        ValueDict loop;
        loop.set("length", Value(items.size()));
        loop.set("depth", Value(1));
        loop.set("depth0", Value(0));
        loop.set("cycle", Value(Function([index = index_](const CallArgs& a) -> Value {
                     if (a.positional.empty()) throw runtimeError("loop.cycle() needs at least one value");
                     return a.positional[*index % a.positional.size()];
                 })));
        value_ = Value(std::move(loop));
        value_.allowItemDepth(deepest);  // previtem and nextitem
    }

    const Value& at(size_t i) {
        const size_t n = items_.size();
        *index_ = i;
        ValueDict& loop = value_.dict();
        loop.set("index", Value(i + 1));
        loop.set("index0", Value(i));
        loop.set("revindex", Value(n - i));
        loop.set("revindex0", Value(n - i - 1));
        loop.set("first", Value(i == 0));
        loop.set("last", Value(i + 1 == n));
        loop.set("previtem", i > 0 ? items_[i - 1] : Value::undefined("loop.previtem"));
        loop.set("nextitem", i + 1 < n ? items_[i + 1] : Value::undefined("loop.nextitem"));
        return value_;
    }

private:
    const ValueList& items_;
    std::shared_ptr<size_t> index_;
    Value value_;
};

// A copy of the caller's lists and dicts: the template may change its own
// values, and the render empties what it changed when it ends.
Value deepCopy(const Value& v) {
    const Nesting nesting;
    if (v.isList()) {
        ValueList items;
        for (const auto& item : v.list()) items.push_back(deepCopy(item));
        return v.isTuple() ? Value::tuple(std::move(items)) : Value(std::move(items));
    }
    if (v.isDict()) {
        ValueDict dict;
        dict.isNamespace = v.dict().isNamespace;
        for (const auto& [k, item] : v.dict().entries) dict.entries.emplace_back(k, deepCopy(item));
        return Value(std::move(dict));
    }
    return v;
}

// Interpreter state lives for one render. An error aborts the whole render,
// so scopes pushed before a throw need no unwinding.
class Interpreter {
public:
    Interpreter(const ValueDict& variables, Budget& budget) : budget_(budget) {
        frames_.push_back(builtinGlobals());
        for (const auto& [k, v] : variables.entries) frames_[0].set(k, deepCopy(v));
        frames_.emplace_back();  // the template's own top-level assignments
    }

    // Before the variables go: freeing them must not recurse through chains the template made.
    ~Interpreter() { budget_.emptyChanged(); }
    Interpreter(const Interpreter&) = delete;
    Interpreter& operator=(const Interpreter&) = delete;

    std::string run(const Body& body) {
        std::string out;
        exec(body, out);
        return out;
    }

private:
    enum class Flow { Normal, Break, Continue };

    // Everything the template prints goes through here, so the output is bounded too.
    void emit(std::string& out, const std::string& text) {
        budget_.grow(out.size(), text.size());
        out += text;
    }

    Flow exec(const Body& body, std::string& out) {
        const Nesting nesting;
        for (const auto& stmt : body) {
            budget_.step();
            Flow flow;
            try {
                flow = std::visit([&](const auto& node) { return execNode(node, stmt.line, out); }, stmt.node);
            } catch (const TemplateError& e) {
                if (e.line() != 0) throw;
                throw TemplateError(e.kind(), e.message(), stmt.line);
            }
            if (flow != Flow::Normal) return flow;
        }
        return Flow::Normal;
    }

    Flow execNode(const TextStmt& s, int, std::string& out) {
        emit(out, s.text);
        return Flow::Normal;
    }

    Flow execNode(const OutputStmt& s, int, std::string& out) {
        emit(out, eval(*s.expr).str());
        return Flow::Normal;
    }

    Flow execNode(const IfStmt& s, int, std::string& out) {
        for (const auto& [cond, body] : s.branches)
            if (eval(*cond).truthy()) return exec(body, out);
        return exec(s.otherwise, out);
    }

    void bindTargets(const std::vector<std::string>& targets, const Value& item) {
        if (targets.size() == 1) {
            frames_.back().set(targets[0], item);
            return;
        }
        const ValueList parts = item.iterate();
        if (parts.size() != targets.size())
            throw runtimeError("cannot unpack " + std::to_string(parts.size()) + " values into " +
                               std::to_string(targets.size()) + " names");
        for (size_t i = 0; i < targets.size(); ++i) frames_.back().set(targets[i], parts[i]);
    }

    Flow execNode(const ForStmt& s, int, std::string& out) {
        ValueList items = eval(*s.iterable).iterate();
        if (s.condition) {
            ValueList kept;
            for (auto& item : items) {
                frames_.emplace_back();
                bindTargets(s.targets, item);
                const bool keep = eval(*s.condition).truthy();
                frames_.pop_back();
                if (keep) kept.push_back(std::move(item));
            }
            items = std::move(kept);
        }
        if (items.empty()) return exec(s.otherwise, out);
        LoopObject loop(items);
        for (size_t i = 0; i < items.size(); ++i) {
            budget_.step();
            // Each iteration gets a fresh scope, as in Jinja: a `set` inside
            // the body does not survive into the next iteration.
            frames_.emplace_back();
            bindTargets(s.targets, items[i]);
            frames_.back().set("loop", loop.at(i));
            const Flow flow = exec(s.body, out);
            frames_.pop_back();
            if (flow == Flow::Break) break;
        }
        return Flow::Normal;
    }

    Flow execNode(const SetStmt& s, int, std::string&) {
        Value value;
        if (s.value) {
            value = eval(*s.value);
        } else {
            std::string text;
            exec(s.body, text);
            value = s.filter ? applyFilterChain(*s.filter, Value(std::move(text))) : Value(std::move(text));
        }
        if (!s.object.empty()) {
            const Value target = lookup(s.object);
            if (!target.isDict() || !target.dict().isNamespace)
                throw runtimeError("cannot set '" + s.object + "." + s.targets[0] +
                                   "': only namespace() objects can be changed");
            budget_.changed(target);
            target.dict().set(s.targets[0], std::move(value));
        } else {
            bindTargets(s.targets, value);
        }
        return Flow::Normal;
    }

    Flow execNode(const MacroStmt& s, int, std::string&) {
        frames_.back().set(s.name, Value(Function([this, &s](const CallArgs& args) { return callMacro(s, args); })));
        return Flow::Normal;
    }

    Flow execNode(const CallBlockStmt& s, int, std::string& out) {
        const Expr& call = *s.call;
        Value callee = eval(*call.items[0]);
        CallArgs args = evalArgs(call);
        const std::vector<ValueDict> callSite = frames_;
        int captured = 0;
        for (const auto& frame : callSite)
            for (const auto& [k, v] : frame.entries) captured = std::max(captured, v.depth());
        args.named.emplace_back("caller", Value(Function([this, &s, callSite](const CallArgs& a) {
                                    std::vector<ValueDict> saved = std::move(frames_);
                                    frames_ = callSite;
                                    frames_.emplace_back();
                                    for (size_t i = 0; i < s.params.size(); ++i) {
                                        const Value* v = a.get(s.params[i], i);
                                        frames_.back().set(s.params[i], v ? *v : Value::undefined(s.params[i]));
                                    }
                                    std::string text;
                                    exec(*s.body, text);
                                    frames_ = std::move(saved);
                                    return Value(std::move(text));
                                }),
                                                                captured));
        emit(out, callValue(callee, args).str());
        return Flow::Normal;
    }

    Flow execNode(const FilterBlockStmt& s, int, std::string& out) {
        std::string text;
        exec(s.body, text);
        emit(out, applyFilterChain(*s.filter, Value(std::move(text))).str());
        return Flow::Normal;
    }

    Flow execNode(const ScopeStmt& s, int, std::string& out) { return exec(s.body, out); }

    Flow execNode(const LoopControlStmt& s, int, std::string&) { return s.isBreak ? Flow::Break : Flow::Continue; }

    Value callMacro(const MacroStmt& m, const CallArgs& args) {
        if (macroDepth_ >= budget_.limits().maxMacroDepth)
            throw tooComplex("macro '" + m.name + "' calls itself more than " +
                             std::to_string(budget_.limits().maxMacroDepth) + " levels deep");
        if (args.positional.size() > m.params.size())
            throw runtimeError("macro '" + m.name + "' takes at most " + std::to_string(m.params.size()) + " arguments");
        ValueDict locals;
        for (size_t i = 0; i < m.params.size(); ++i) {
            if (const Value* v = args.get(m.params[i], i)) locals.set(m.params[i], *v);
            else if (m.defaults[i]) locals.set(m.params[i], eval(*m.defaults[i]));
            else locals.set(m.params[i], Value::undefined(m.params[i]));
        }
        for (const auto& [k, v] : args.named) {
            if (k == "caller") locals.set(k, v);
            else if (!locals.find(k)) throw runtimeError("macro '" + m.name + "' has no argument '" + k + "'");
        }
        // A macro sees the globals and the template's top level, not its caller's locals.
        std::vector<ValueDict> saved = std::move(frames_);
        frames_ = {saved[0], saved[1], std::move(locals)};
        ++macroDepth_;
        std::string out;
        exec(*m.body, out);
        --macroDepth_;
        frames_ = std::move(saved);
        return Value(std::move(out));
    }

    Value lookup(const std::string& name) const {
        for (auto it = frames_.rbegin(); it != frames_.rend(); ++it)
            if (const Value* v = it->find(name)) return *v;
        return Value::undefined(name);
    }

    CallArgs evalArgs(const Expr& e, size_t firstArg = 1) {
        CallArgs args;
        for (size_t i = firstArg; i < e.items.size(); ++i) args.positional.push_back(eval(*e.items[i]));
        for (const auto& [k, v] : e.kwargs) args.named.emplace_back(k, eval(*v));
        return args;
    }

    Value callValue(const Value& callee, const CallArgs& args) {
        if (callee.isUndefined()) undefinedError(callee);
        if (!callee.isCallable()) throw runtimeError(callee.describeType() + " cannot be called");
        return callee.function()(args);
    }

    // A filter chain from a filter block or block set: the innermost filter's input is `input`.
    Value applyFilterChain(const Expr& e, const Value& input) {
        const Value in = e.items[0] ? applyFilterChain(*e.items[0], input) : input;
        return applyFilter(e.name, in, evalArgs(e));
    }

    Value eval(const Expr& e) {
        const Nesting nesting;
        budget_.step();
        try {
            return evalExpr(e);
        } catch (const TemplateError& err) {
            if (err.line() != 0) throw;
            throw TemplateError(err.kind(), err.message(), e.line);
        }
    }

    Value evalExpr(const Expr& e) {
        switch (e.kind) {
        case Expr::Kind::Literal: return e.value;
        case Expr::Kind::Name: return lookup(e.name);
        case Expr::Kind::List:
        case Expr::Kind::Tuple: {
            ValueList items;
            for (const auto& item : e.items) items.push_back(eval(*item));
            return e.kind == Expr::Kind::Tuple ? Value::tuple(std::move(items)) : Value(std::move(items));
        }
        case Expr::Kind::Dict: {
            ValueDict dict;
            for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
                const Value key = eval(*e.items[i]);
                dict.set(key.str(), eval(*e.items[i + 1]));
            }
            return Value(std::move(dict));
        }
        case Expr::Kind::Attribute: return getAttribute(eval(*e.items[0]), e.name);
        case Expr::Kind::Index: return getItem(eval(*e.items[0]), eval(*e.items[1]));
        case Expr::Kind::Slice: {
            const auto part = [&](size_t i) { return e.items[i] ? eval(*e.items[i]) : Value(); };
            return sliceValue(eval(*e.items[0]), part(1), part(2), part(3));
        }
        case Expr::Kind::Call: {
            Value callee = eval(*e.items[0]);
            return callValue(callee, evalArgs(e));
        }
        case Expr::Kind::Filter: return applyFilter(e.name, eval(*e.items[0]), evalArgs(e));
        case Expr::Kind::Test: {
            const bool result = applyTest(e.name, eval(*e.items[0]), evalArgs(e));
            return Value(e.negated ? !result : result);
        }
        case Expr::Kind::Unary: {
            const Value v = eval(*e.items[0]);
            if (e.name == "not") return Value(!v.truthy());
            requireDefined(v);
            if (!v.isNumber()) throw runtimeError("cannot apply unary '" + e.name + "' to " + v.describeType());
            if (e.name == "+") return v.isInt() ? Value(v.asInt()) : v;
            return v.isInt() ? Value(checkedSub(0, v.asInt())) : Value(-v.asFloat());
        }
        case Expr::Kind::Binary: {
            if (e.name == "and" || e.name == "or") {
                Value lhs = eval(*e.items[0]);
                if (lhs.truthy() == (e.name == "or")) return lhs;
                return eval(*e.items[1]);
            }
            const Value lhs = eval(*e.items[0]);
            return binaryOp(e.name, lhs, eval(*e.items[1]));
        }
        case Expr::Kind::Ternary:
            if (eval(*e.items[1]).truthy()) return eval(*e.items[0]);
            return e.items[2] ? eval(*e.items[2]) : Value::undefined("the else branch");
        }
        throw runtimeError("unknown expression");
    }

    Budget& budget_;
    std::vector<ValueDict> frames_;
    int macroDepth_ = 0;
};

}  // namespace

std::string render(const Body& body, const ValueDict& variables, const Limits& limits) {
    Budget budget(limits);
    const ActiveBudget active(budget);
    return Interpreter(variables, budget).run(body);
}

}  // namespace nibble::jinja
