// The global functions templates call: Jinja's range/namespace/dict and the
// raise_exception/strftime_now that Hugging Face adds.
#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"

#include <ctime>

namespace nibble::jinja {

namespace {

Value range(const CallArgs& args) {
    if (!args.named.empty() || args.positional.empty() || args.positional.size() > 3)
        throw runtimeError("range() takes one to three integers");
    for (const auto& a : args.positional)
        if (!a.isInt()) throw runtimeError("range() takes integers, not " + a.describeType());
    const auto& p = args.positional;
    const int64_t start = p.size() > 1 ? p[0].asInt() : 0;
    const int64_t stop = p.size() > 1 ? p[1].asInt() : p[0].asInt();
    const int64_t step = p.size() > 2 ? p[2].asInt() : 1;
    if (step == 0) throw runtimeError("range() step cannot be zero");
    // Jinja's sandbox caps ranges too; a template has no business making millions of items.
    constexpr int64_t maxItems = 100000;
    ValueList out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (static_cast<int64_t>(out.size()) >= maxItems) throw runtimeError("range() is too large");
        out.emplace_back(i);
    }
    return Value(std::move(out));
}

Value makeDict(const CallArgs& args, bool isNamespace) {
    ValueDict dict;
    dict.isNamespace = isNamespace;
    for (const auto& p : args.positional) {
        if (!p.isDict()) throw runtimeError("expected keyword arguments or a mapping");
        for (const auto& [k, v] : p.dict().entries) dict.set(k, v);
    }
    for (const auto& [k, v] : args.named) dict.set(k, v);
    return Value(std::move(dict));
}

Value strftimeNow(const CallArgs& args) {
    const Value* format = args.get("format", 0);
    if (!format || !format->isString()) throw runtimeError("strftime_now() needs a format string");
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buf[256];
    const size_t n = std::strftime(buf, sizeof buf, format->asString().c_str(), &local);
    return Value(std::string(buf, n));
}

}  // namespace

ValueDict builtinGlobals() {
    ValueDict globals;
    globals.set("range", Value(Function(range)));
    globals.set("namespace", Value(Function([](const CallArgs& a) { return makeDict(a, true); })));
    globals.set("dict", Value(Function([](const CallArgs& a) { return makeDict(a, false); })));
    globals.set("raise_exception", Value(Function([](const CallArgs& a) -> Value {
                    const Value* message = a.get("message", 0);
                    throw TemplateError(TemplateError::Kind::Raised, message ? message->str() : "raise_exception()");
                })));
    globals.set("strftime_now", Value(Function(strftimeNow)));
    return globals;
}

}  // namespace nibble::jinja
