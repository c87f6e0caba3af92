#pragma once
// Runs a parsed template against a set of variables and returns the text.
#include "chat/jinja_ast.h"
#include "chat/jinja_limits.h"

#include <string>

namespace nibble::jinja {

// `variables` are visible to the whole template, on top of the built-in
// globals (range, namespace, raise_exception, ...); the template works on a
// copy of them. Throws TemplateError, TooComplex past any of `limits`.
std::string render(const Body& body, const ValueDict& variables, const Limits& limits = {});

}  // namespace nibble::jinja
