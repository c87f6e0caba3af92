#pragma once
// Jinja2's built-in filters and tests, the Python str/dict/list methods that
// templates call, and the global functions Hugging Face provides. Each one
// follows what the Python original returns, since templates depend on it.
#include "chat/jinja_value.h"

#include <optional>
#include <string>

namespace nibble::jinja {

// `value | name(args)`. Throws a runtime TemplateError for unknown filters and bad arguments.
Value applyFilter(const std::string& name, const Value& input, const CallArgs& args);
// `value is name(args)`.
bool applyTest(const std::string& name, const Value& input, const CallArgs& args);
// `object.name` for Python methods (`text.strip`, `dict.items`, `list.append`):
// a function bound to the object, or nullopt when the type has no such method.
std::optional<Value> findMethod(const Value& object, const std::string& name);
// range, namespace, dict, raise_exception, strftime_now.
ValueDict builtinGlobals();

// Shared helpers with Python's behaviour, also used by the interpreter.
std::string pyStrip(const std::string& s, const Value* chars, bool left, bool right);
Value sliceValue(const Value& target, const Value& start, const Value& stop, const Value& step);
// obj.attr / obj[key]: items of dicts and namespaces, list and string indexing.
Value getItem(const Value& object, const Value& key);
Value getAttribute(const Value& object, const std::string& name);

}  // namespace nibble::jinja
