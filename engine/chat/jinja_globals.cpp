// The global functions templates call: Jinja's range/namespace/dict and the
// raise_exception/strftime_now that Hugging Face adds.
#include "chat/jinja_budget.h"
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
    const Budget* budget = Budget::active();
    const int64_t maxItems = (budget ? budget->limits() : Limits{}).maxRangeItems;
    // In 128 bits, so a range near the ends of int64 cannot overflow.
    const __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
    const __int128 stride = step > 0 ? static_cast<__int128>(step) : -static_cast<__int128>(step);
    const __int128 count = span <= 0 ? 0 : (span + stride - 1) / stride;
    if (count > maxItems) throw runtimeError("range() is too large");
    ValueList out;
    out.reserve(static_cast<size_t>(count));
    for (__int128 i = 0; i < count; ++i) out.emplace_back(static_cast<int64_t>(start + i * step));
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
