#include "chat/jinja_template.h"

#include "chat/jinja_interpreter.h"
#include "chat/jinja_parser.h"

namespace nibble::jinja {

Template::Template(std::string_view source, const LexerOptions& options, const Limits& limits)
    : body_(std::make_shared<const Body>(parseTemplate(source, options, limits))), limits_(limits) {}

std::string Template::render(const ValueDict& variables) const { return jinja::render(*body_, variables, limits_); }

}  // namespace nibble::jinja
