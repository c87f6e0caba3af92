#pragma once
// JSON in and out of template values. toJson writes what Hugging Face's
// tojson filter writes (Python's json.dumps with ensure_ascii=False), so
// tool definitions render byte for byte as the model saw them in training.
#include "chat/jinja_value.h"

#include <string>
#include <string_view>

namespace nibble::jinja {

struct JsonFormat {
    int indent = -1;  // < 0: one line, items separated by ", "; >= 0: one item per line
    bool sortKeys = false;
    bool ensureAscii = false;  // escape non-ASCII characters as \uXXXX
};

std::string toJson(const Value& value, const JsonFormat& format = {});

// Parses JSON text (tool definitions, test data) into a value. Throws a
// runtime TemplateError naming the offset of the first problem.
Value parseJson(std::string_view text);

}  // namespace nibble::jinja
