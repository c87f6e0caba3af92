#pragma once
// Errors raised while parsing or rendering a template. They stay inside the
// chat folder: ChatTemplate turns them into nibble::Error for the user.
#include <stdexcept>
#include <string>

namespace nibble::jinja {

class TemplateError : public std::runtime_error {
public:
    enum class Kind {
        Syntax,   // the template text cannot be parsed
        Runtime,  // an operation failed while rendering (wrong types, unknown filter, ...)
        Raised,   // the template called raise_exception(message)
        TooComplex,  // it went past one of its Limits (nesting, steps, bytes)
    };

    // line 0: not known yet; the interpreter fills in the line of the expression that failed.
    TemplateError(Kind kind, std::string message, int line = 0)
        : std::runtime_error(message), kind_(kind), message_(std::move(message)), line_(line) {}

    Kind kind() const noexcept { return kind_; }
    const std::string& message() const noexcept { return message_; }
    int line() const noexcept { return line_; }

private:
    Kind kind_;
    std::string message_;
    int line_;
};

// A runtime error without a line yet (thrown from values, filters and methods).
inline TemplateError runtimeError(std::string message) {
    return TemplateError(TemplateError::Kind::Runtime, std::move(message));
}

}  // namespace nibble::jinja
