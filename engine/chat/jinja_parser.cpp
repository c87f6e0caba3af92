#include "chat/jinja_parser.h"

#include "chat/jinja_budget.h"
#include "chat/jinja_error.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <initializer_list>

namespace nibble::jinja {

namespace {

class Parser {
public:
    Parser(std::vector<Token> tokens, const Limits& limits) : toks_(std::move(tokens)), maxDepth_(limits.maxDepth) {}

    Body parseAll() {
        std::string end;
        Body body = parseBody({}, end);
        return body;
    }

private:
    using Ends = std::initializer_list<std::string_view>;

    const Token& peek(size_t ahead = 0) const { return toks_[std::min(pos_ + ahead, toks_.size() - 1)]; }
    const Token& next() {
        const Token& t = toks_[pos_];
        if (pos_ + 1 < toks_.size()) ++pos_;
        return t;
    }
    bool isOp(std::string_view op, size_t ahead = 0) const {
        return peek(ahead).type == Token::Type::Operator && peek(ahead).text == op;
    }
    bool isName(std::string_view name, size_t ahead = 0) const {
        return peek(ahead).type == Token::Type::Name && peek(ahead).text == name;
    }
    bool skipOp(std::string_view op) {
        if (!isOp(op)) return false;
        next();
        return true;
    }
    bool skipName(std::string_view name) {
        if (!isName(name)) return false;
        next();
        return true;
    }

    static std::string describe(const Token& t) {
        switch (t.type) {
        case Token::Type::Text: return "text";
        case Token::Type::VarBegin: return "'{{'";
        case Token::Type::VarEnd: return "'}}'";
        case Token::Type::BlockBegin: return "'{%'";
        case Token::Type::BlockEnd: return "'%}'";
        case Token::Type::String: return "string";
        case Token::Type::End: return "end of template";
        default: return "'" + t.text + "'";
        }
    }

    // One level of the parser's own recursion for as long as it lives: blocks
    // in blocks and expressions in brackets, so `((((...))))` cannot overflow the stack.
    class Deeper {
    public:
        explicit Deeper(Parser& p) : p_(p) {
            if (p_.depth_ >= p_.maxDepth_) p_.tooDeep();
            ++p_.depth_;
        }
        ~Deeper() { --p_.depth_; }
        Deeper(const Deeper&) = delete;
        Deeper& operator=(const Deeper&) = delete;

    private:
        Parser& p_;
    };

    [[noreturn]] void tooDeep() const {
        const TemplateError e = nestedTooDeep(maxDepth_);
        throw TemplateError(e.kind(), e.message(), peek().line);
    }

    // Chains like `x | upper | upper ...` or `a ~ b ~ c ...` are parsed in a
    // loop, yet make a tree as deep as they are long, which evaluating (or
    // just destroying) would recurse through: the tree's height is checked as
    // it grows.
    void grow(Expr& parent, const Expr* child) const {
        if (!child) return;
        parent.height = std::max(parent.height, child->height + 1);
        if (parent.height > maxDepth_) tooDeep();
    }
    void adopt(Expr& parent, ExprPtr child) {
        grow(parent, child.get());
        parent.items.push_back(std::move(child));
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw TemplateError(TemplateError::Kind::Syntax, what, peek().line);
    }
    [[noreturn]] void unexpected(const std::string& expected) const {
        fail("expected " + expected + " but found " + describe(peek()));
    }

    void expectOp(std::string_view op) {
        if (!skipOp(op)) unexpected("'" + std::string(op) + "'");
    }
    std::string expectName() {
        if (peek().type != Token::Type::Name) unexpected("a name");
        return next().text;
    }
    void expectBlockEnd() {
        if (peek().type != Token::Type::BlockEnd) unexpected("'%}'");
        next();
    }

    static std::string joinEnds(Ends ends) {
        std::string s;
        for (auto e : ends) s += (s.empty() ? "'" : " or '") + std::string(e) + "'";
        return s;
    }

    // Parses statements until a block tag whose name is in `ends` (consumed,
    // returned in `found`, the rest of its tag left to the caller) or the end.
    Body parseBody(Ends ends, std::string& found) {
        const Deeper deeper(*this);
        Body body;
        while (true) {
            const Token& t = peek();
            switch (t.type) {
            case Token::Type::Text:
                body.push_back({t.line, TextStmt{t.text}});
                next();
                break;
            case Token::Type::VarBegin: {
                const int line = next().line;
                ExprPtr e = parseExpression();
                if (peek().type != Token::Type::VarEnd) unexpected("'}}'");
                next();
                body.push_back({line, OutputStmt{std::move(e)}});
                break;
            }
            case Token::Type::BlockBegin: {
                next();
                if (peek().type != Token::Type::Name) unexpected("a tag name");
                const std::string name = peek().text;
                for (auto e : ends) {
                    if (name == e) {
                        next();
                        found = name;
                        return body;
                    }
                }
                body.push_back(parseStatement());
                break;
            }
            case Token::Type::End:
                if (ends.size() != 0) fail("the template ended while looking for " + joinEnds(ends));
                return body;
            default: unexpected("text or a tag");
            }
        }
    }

    // Block ends like endif/endfor may carry nothing else.
    void finishEndTag() { expectBlockEnd(); }

    Stmt parseStatement() {
        const Token& nameTok = next();
        const int line = nameTok.line;
        const std::string name = nameTok.text;
        if (name == "if") return {line, parseIf()};
        if (name == "for") return {line, parseFor()};
        if (name == "set") return {line, parseSet()};
        if (name == "macro") return {line, parseMacro()};
        if (name == "call") return {line, parseCallBlock()};
        if (name == "filter") {
            FilterBlockStmt s;
            s.filter = parseFilterChain(nullptr);
            expectBlockEnd();
            std::string found;
            s.body = parseBody({"endfilter"}, found);
            finishEndTag();
            return {line, std::move(s)};
        }
        if (name == "generation") {
            expectBlockEnd();
            std::string found;
            ScopeStmt s{parseBody({"endgeneration"}, found)};
            finishEndTag();
            return {line, std::move(s)};
        }
        if (name == "break" || name == "continue") {
            expectBlockEnd();
            return {line, LoopControlStmt{name == "break"}};
        }
        if (name == "elif" || name == "else" || name.starts_with("end"))
            throw TemplateError(TemplateError::Kind::Syntax, "unexpected '" + name + "' tag", line);
        throw TemplateError(TemplateError::Kind::Syntax, "unknown or unsupported tag '" + name + "'", line);
    }

    IfStmt parseIf() {
        IfStmt s;
        while (true) {
            ExprPtr cond = parseExpression();
            expectBlockEnd();
            std::string found;
            Body body = parseBody({"elif", "else", "endif"}, found);
            s.branches.emplace_back(std::move(cond), std::move(body));
            if (found == "elif") continue;
            if (found == "else") {
                expectBlockEnd();
                s.otherwise = parseBody({"endif"}, found);
            }
            finishEndTag();
            return s;
        }
    }

    std::vector<std::string> parseTargets() {
        std::vector<std::string> names;
        const bool parens = skipOp("(");
        do {
            names.push_back(expectName());
        } while (skipOp(","));
        if (parens) expectOp(")");
        return names;
    }

    ForStmt parseFor() {
        ForStmt s;
        s.targets = parseTargets();
        if (!skipName("in")) unexpected("'in'");
        s.iterable = parseTupleOr(false);
        if (skipName("if")) s.condition = parseExpression();
        if (isName("recursive")) fail("recursive loops are not supported");
        expectBlockEnd();
        std::string found;
        s.body = parseBody({"endfor", "else"}, found);
        if (found == "else") {
            expectBlockEnd();
            s.otherwise = parseBody({"endfor"}, found);
        }
        finishEndTag();
        return s;
    }

    SetStmt parseSet() {
        SetStmt s;
        const std::string first = expectName();
        if (skipOp(".")) {
            s.object = first;
            s.targets.push_back(expectName());
        } else {
            s.targets.push_back(first);
            while (skipOp(",")) s.targets.push_back(expectName());
        }
        if (skipOp("=")) {
            s.value = parseTupleOr(true);
            expectBlockEnd();
            return s;
        }
        if (!s.object.empty() || s.targets.size() != 1) unexpected("'='");
        if (isOp("|")) s.filter = parseFilterChain(nullptr);
        expectBlockEnd();
        std::string found;
        s.body = parseBody({"endset"}, found);
        finishEndTag();
        return s;
    }

    void parseParams(std::vector<std::string>& params, std::vector<ExprPtr>& defaults) {
        expectOp("(");
        while (!isOp(")")) {
            params.push_back(expectName());
            defaults.push_back(skipOp("=") ? parseExpression() : nullptr);
            if (!skipOp(",")) break;
        }
        expectOp(")");
    }

    MacroStmt parseMacro() {
        MacroStmt s;
        s.name = expectName();
        parseParams(s.params, s.defaults);
        expectBlockEnd();
        std::string found;
        s.body = std::make_shared<Body>(parseBody({"endmacro"}, found));
        if (peek().type == Token::Type::Name) next();  // {% endmacro name %}
        finishEndTag();
        return s;
    }

    CallBlockStmt parseCallBlock() {
        CallBlockStmt s;
        if (isOp("(")) {
            std::vector<ExprPtr> defaults;
            parseParams(s.params, defaults);
        }
        s.call = parseExpression();
        if (s.call->kind != Expr::Kind::Call) fail("a call block needs a macro call");
        expectBlockEnd();
        std::string found;
        s.body = std::make_shared<Body>(parseBody({"endcall"}, found));
        finishEndTag();
        return s;
    }

    // `| f(args) | g` applied to `input` (null: filled in when rendered).
    ExprPtr parseFilterChain(ExprPtr input) {
        ExprPtr node = std::move(input);
        skipOp("|");
        do {
            node = parseFilter(std::move(node));
        } while (skipOp("|"));
        return node;
    }

    // An expression, or several separated by commas (a tuple, made a list).
    ExprPtr parseTupleOr(bool allowTernary) {
        const int line = peek().line;
        ExprPtr first = allowTernary ? parseExpression() : parseOr();
        if (!isOp(",")) return first;
        auto list = std::make_unique<Expr>(Expr::Kind::Tuple, line);
        adopt(*list, std::move(first));
        while (skipOp(",")) {
            if (peek().type == Token::Type::BlockEnd || isName("if")) break;
            adopt(*list, allowTernary ? parseExpression() : parseOr());
        }
        return list;
    }

    ExprPtr parseExpression() {
        const Deeper deeper(*this);
        ExprPtr expr = parseOr();
        while (isName("if")) {
            const int line = next().line;
            auto node = std::make_unique<Expr>(Expr::Kind::Ternary, line);
            ExprPtr cond = parseOr();
            ExprPtr otherwise = skipName("else") ? parseExpression() : nullptr;
            adopt(*node, std::move(expr));
            adopt(*node, std::move(cond));
            adopt(*node, std::move(otherwise));
            expr = std::move(node);
        }
        return expr;
    }

    ExprPtr binary(std::string op, ExprPtr lhs, ExprPtr rhs, int line) {
        auto node = std::make_unique<Expr>(Expr::Kind::Binary, line);
        node->name = std::move(op);
        adopt(*node, std::move(lhs));
        adopt(*node, std::move(rhs));
        return node;
    }

    ExprPtr parseOr() {
        ExprPtr lhs = parseAnd();
        while (isName("or")) {
            const int line = next().line;
            lhs = binary("or", std::move(lhs), parseAnd(), line);
        }
        return lhs;
    }

    ExprPtr parseAnd() {
        ExprPtr lhs = parseNot();
        while (isName("and")) {
            const int line = next().line;
            lhs = binary("and", std::move(lhs), parseNot(), line);
        }
        return lhs;
    }

    ExprPtr parseNot() {
        if (isName("not")) {
            const Deeper deeper(*this);
            const int line = next().line;
            auto node = std::make_unique<Expr>(Expr::Kind::Unary, line);
            node->name = "not";
            adopt(*node, parseNot());
            return node;
        }
        return parseCompare();
    }

    ExprPtr parseCompare() {
        ExprPtr lhs = parseMath1();
        while (true) {
            const int line = peek().line;
            std::string op;
            if (peek().type == Token::Type::Operator &&
                (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == "<=" ||
                 peek().text == ">" || peek().text == ">=")) {
                op = next().text;
            } else if (isName("in")) {
                next();
                op = "in";
            } else if (isName("not") && isName("in", 1)) {
                next();
                next();
                op = "not in";
            } else {
                return lhs;
            }
            lhs = binary(op, std::move(lhs), parseMath1(), line);
        }
    }

    template <typename Sub>
    ExprPtr parseLeftAssoc(Ends ops, Sub sub) {
        ExprPtr lhs = (this->*sub)();
        while (true) {
            bool matched = false;
            for (auto op : ops) {
                if (isOp(op)) {
                    const int line = next().line;
                    lhs = binary(std::string(op), std::move(lhs), (this->*sub)(), line);
                    matched = true;
                    break;
                }
            }
            if (!matched) return lhs;
        }
    }

    ExprPtr parseMath1() { return parseLeftAssoc({"+", "-"}, &Parser::parseConcat); }
    ExprPtr parseConcat() { return parseLeftAssoc({"~"}, &Parser::parseMath2); }
    ExprPtr parseMath2() { return parseLeftAssoc({"*", "/", "//", "%"}, &Parser::parsePow); }
    ExprPtr parsePow() { return parseLeftAssoc({"**"}, &Parser::parseUnaryWithFilters); }
    ExprPtr parseUnaryWithFilters() { return parseUnary(true); }

    ExprPtr parseUnary(bool withFilters) {
        ExprPtr node;
        if (isOp("-") || isOp("+")) {
            const Deeper deeper(*this);
            const Token& t = next();
            node = std::make_unique<Expr>(Expr::Kind::Unary, t.line);
            node->name = t.text;
            adopt(*node, parseUnary(false));
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(std::move(node));
        if (!withFilters) return node;
        while (true) {
            if (isOp("|")) {
                next();
                node = parseFilter(std::move(node));
            } else if (isName("is")) {
                node = parseTest(std::move(node));
            } else if (isOp("(")) {
                node = parseCall(std::move(node));
            } else {
                return node;
            }
        }
    }

    ExprPtr literal(Value v, int line) {
        auto node = std::make_unique<Expr>(Expr::Kind::Literal, line);
        node->value = std::move(v);
        return node;
    }

    ExprPtr parsePrimary() {
        const Token& t = peek();
        const int line = t.line;
        switch (t.type) {
        case Token::Type::Name: {
            const std::string name = next().text;
            if (name == "true" || name == "True") return literal(Value(true), line);
            if (name == "false" || name == "False") return literal(Value(false), line);
            if (name == "none" || name == "None") return literal(Value(nullptr), line);
            auto node = std::make_unique<Expr>(Expr::Kind::Name, line);
            node->name = name;
            return node;
        }
        case Token::Type::String: {
            std::string s;
            while (peek().type == Token::Type::String) s += next().text;
            return literal(Value(std::move(s)), line);
        }
        case Token::Type::Integer: {
            const std::string text = next().text;
            int64_t v = 0;
            auto res = std::from_chars(text.data(), text.data() + text.size(), v);
            if (res.ec != std::errc()) fail("integer " + text + " is too large");
            return literal(Value(v), line);
        }
        case Token::Type::Float: return literal(Value(std::strtod(next().text.c_str(), nullptr)), line);
        case Token::Type::Operator:
            if (t.text == "(") {
                next();
                if (skipOp(")")) return std::make_unique<Expr>(Expr::Kind::Tuple, line);
                ExprPtr inner = parseExpression();
                if (isOp(",")) {
                    auto list = std::make_unique<Expr>(Expr::Kind::Tuple, line);
                    adopt(*list, std::move(inner));
                    while (skipOp(",") && !isOp(")")) adopt(*list, parseExpression());
                    inner = std::move(list);
                }
                expectOp(")");
                return inner;
            }
            if (t.text == "[") {
                next();
                auto list = std::make_unique<Expr>(Expr::Kind::List, line);
                while (!isOp("]")) {
                    adopt(*list, parseExpression());
                    if (!skipOp(",")) break;
                }
                expectOp("]");
                return list;
            }
            if (t.text == "{") {
                next();
                auto dict = std::make_unique<Expr>(Expr::Kind::Dict, line);
                while (!isOp("}")) {
                    adopt(*dict, parseExpression());
                    expectOp(":");
                    adopt(*dict, parseExpression());
                    if (!skipOp(",")) break;
                }
                expectOp("}");
                return dict;
            }
            break;
        default: break;
        }
        unexpected("an expression");
    }

    ExprPtr parsePostfix(ExprPtr node) {
        while (true) {
            const int line = peek().line;
            if (skipOp(".")) {
                auto attr = std::make_unique<Expr>(Expr::Kind::Attribute, line);
                if (peek().type == Token::Type::Integer) {
                    attr->kind = Expr::Kind::Index;
                    adopt(*attr, std::move(node));
                    adopt(*attr, literal(Value(static_cast<int64_t>(std::atoll(next().text.c_str()))), line));
                } else {
                    attr->name = expectName();
                    adopt(*attr, std::move(node));
                }
                node = std::move(attr);
            } else if (skipOp("[")) {
                node = parseSubscript(std::move(node), line);
            } else if (isOp("(")) {
                node = parseCall(std::move(node));
            } else {
                return node;
            }
        }
    }

    ExprPtr parseSubscript(ExprPtr target, int line) {
        ExprPtr parts[3];
        int part = 0;
        bool isSlice = false;
        while (!isOp("]")) {
            if (skipOp(":")) {
                isSlice = true;
                if (++part > 2) fail("a slice has at most three parts");
                continue;
            }
            if (parts[part]) unexpected("':' or ']'");
            parts[part] = parseExpression();
        }
        expectOp("]");
        auto node = std::make_unique<Expr>(isSlice ? Expr::Kind::Slice : Expr::Kind::Index, line);
        adopt(*node, std::move(target));
        if (!isSlice && !parts[0]) fail("empty subscript");
        adopt(*node, std::move(parts[0]));
        if (isSlice) {
            adopt(*node, std::move(parts[1]));
            adopt(*node, std::move(parts[2]));
        }
        return node;
    }

    void parseArgs(Expr& node) {
        expectOp("(");
        while (!isOp(")")) {
            if (peek().type == Token::Type::Name && isOp("=", 1)) {
                std::string key = next().text;
                next();
                ExprPtr value = parseExpression();
                grow(node, value.get());
                node.kwargs.emplace_back(std::move(key), std::move(value));
            } else {
                if (!node.kwargs.empty()) fail("a positional argument follows a keyword argument");
                adopt(node, parseExpression());
            }
            if (!skipOp(",")) break;
        }
        expectOp(")");
    }

    ExprPtr parseCall(ExprPtr callee) {
        auto node = std::make_unique<Expr>(Expr::Kind::Call, peek().line);
        adopt(*node, std::move(callee));
        parseArgs(*node);
        return node;
    }

    ExprPtr parseFilter(ExprPtr input) {
        auto node = std::make_unique<Expr>(Expr::Kind::Filter, peek().line);
        node->name = expectName();
        adopt(*node, std::move(input));
        if (isOp("(")) parseArgs(*node);
        return node;
    }

    ExprPtr parseTest(ExprPtr input) {
        auto node = std::make_unique<Expr>(Expr::Kind::Test, next().line);  // `is`
        node->negated = skipName("not");
        node->name = expectName();
        adopt(*node, std::move(input));
        if (isOp("(")) {
            parseArgs(*node);
        } else {
            const Token& t = peek();
            const bool startsArgument =
                t.type == Token::Type::String || t.type == Token::Type::Integer || t.type == Token::Type::Float ||
                (t.type == Token::Type::Name && t.text != "else" && t.text != "or" && t.text != "and" &&
                 t.text != "if" && t.text != "is" && t.text != "in" && t.text != "not") ||
                isOp("[") || isOp("{");
            if (startsArgument) adopt(*node, parsePostfix(parsePrimary()));
        }
        return node;
    }

    std::vector<Token> toks_;
    size_t pos_ = 0;
    int maxDepth_;
    int depth_ = 0;
};

}  // namespace

Body parseTemplate(std::string_view source, const LexerOptions& options, const Limits& limits) {
    return Parser(tokenize(source, options), limits).parseAll();
}

}  // namespace nibble::jinja
