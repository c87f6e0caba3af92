// libFuzzer target for chat templates, the untrusted program a model file
// carries: any text must either render or fail with a nibble::Error, never
// crash, overflow the stack, hang, leak or take all memory. Each input is
// rendered for a short conversation, with and without tool definitions.
#include "chat/chat_template.h"
#include "nibble/error.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

// The real nesting limit, since stack safety is what is tested; less work and
// memory than the real limits allow, so one input never takes seconds.
nibble::jinja::Limits fuzzLimits() {
    nibble::jinja::Limits limits;
    limits.maxSteps = 100'000;
    limits.maxValueBytes = size_t{1} << 20;
    limits.maxTotalBytes = size_t{16} << 20;
    return limits;
}

const char* const kTools =
    R"([{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",)"
    R"( "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const nibble::jinja::Limits limits = fuzzLimits();
    static const std::vector<nibble::ChatMessage> messages = {
        {"system", "You are helpful."}, {"user", "Hello"}, {"assistant", "Hi! How can I help?"}, {"user", "Weather?"}};
    try {
        const nibble::ChatTemplate tmpl(std::string(reinterpret_cast<const char*>(data), size), "<s>", "</s>", limits);
        try {
            tmpl.render(messages, true);
        } catch (const nibble::Error&) {
        }
        tmpl.render(messages, false, kTools);
    } catch (const nibble::Error&) {
    }
    return 0;
}
