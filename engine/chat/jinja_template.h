#pragma once
// A Jinja2 template, parsed once and rendered many times.
#include "chat/jinja_ast.h"
#include "chat/jinja_lexer.h"
#include "chat/jinja_limits.h"

#include <memory>
#include <string>
#include <string_view>

namespace nibble::jinja {

class Template {
public:
    // Throws TemplateError(Syntax) with the line of the problem, or
    // TemplateError(TooComplex) when it nests deeper than limits allow.
    explicit Template(std::string_view source, const LexerOptions& options = {}, const Limits& limits = {});

    // Throws TemplateError(Runtime or Raised) with the line of the failing
    // expression, or TemplateError(TooComplex) when the render goes past a limit.
    std::string render(const ValueDict& variables) const;

private:
    std::shared_ptr<const Body> body_;
    Limits limits_;
};

}  // namespace nibble::jinja
