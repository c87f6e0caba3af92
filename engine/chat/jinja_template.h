#pragma once
// A Jinja2 template, parsed once and rendered many times.
#include "chat/jinja_ast.h"
#include "chat/jinja_lexer.h"

#include <memory>
#include <string>
#include <string_view>

namespace nibble::jinja {

class Template {
public:
    // Throws TemplateError(Syntax) with the line of the problem.
    explicit Template(std::string_view source, const LexerOptions& options = {});

    // Throws TemplateError(Runtime or Raised) with the line of the failing expression.
    std::string render(const ValueDict& variables) const;

private:
    std::shared_ptr<const Body> body_;
};

}  // namespace nibble::jinja
