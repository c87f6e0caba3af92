#pragma once
// Turns tokens into the statement tree, following Jinja2's grammar and
// operator precedence (filters bind tighter than arithmetic, `not` looser
// than comparisons, `a if c else b` loosest).
#include "chat/jinja_ast.h"
#include "chat/jinja_lexer.h"
#include "chat/jinja_limits.h"

#include <string_view>

namespace nibble::jinja {

// Throws TemplateError(Syntax) with the line of the offending token, or
// TemplateError(TooComplex) for blocks or expressions nested deeper than limits.maxDepth.
Body parseTemplate(std::string_view source, const LexerOptions& options = {}, const Limits& limits = {});

}  // namespace nibble::jinja
