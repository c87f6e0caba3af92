#pragma once
// Runs a parsed template against a set of variables and returns the text.
#include "chat/jinja_ast.h"

#include <string>

namespace nibble::jinja {

// `variables` are visible to the whole template, on top of the built-in
// globals (range, namespace, raise_exception, ...). Throws TemplateError.
std::string render(const Body& body, const ValueDict& variables);

}  // namespace nibble::jinja
