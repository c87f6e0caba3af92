#include "chat/chat_template.h"

#include "chat/builtin_templates.h"
#include "chat/jinja_error.h"
#include "chat/jinja_json.h"
#include "chat/jinja_template.h"
#include "gguf/gguf_reader.h"

#include <ctime>

namespace nibble {

namespace {

Error templateError(const jinja::TemplateError& e) {
    std::string what;
    switch (e.kind()) {
    case jinja::TemplateError::Kind::Syntax: what = "the model's chat template has a syntax error: "; break;
    case jinja::TemplateError::Kind::Runtime: what = "the model's chat template failed: "; break;
    case jinja::TemplateError::Kind::Raised: what = "the model's chat template rejected the conversation: "; break;
    case jinja::TemplateError::Kind::TooComplex: what = "chat template is too complex: "; break;
    }
    what += e.message();
    if (e.line() > 0) what += " at line " + std::to_string(e.line());
    return Error(ErrorKind::InvalidFile, what);
}

// Llama 3.x templates print "Today Date:" from date_string when it is set.
std::string today() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buf[32];
    return std::string(buf, std::strftime(buf, sizeof buf, "%d %b %Y", &local));
}

}  // namespace

ChatTemplate ChatTemplate::fromGguf(const gguf::GgufFile& file, std::string bosToken, std::string eosToken) {
    if (auto source = file.getString("tokenizer.chat_template"); source && !source->empty())
        return ChatTemplate(std::string(*source), std::move(bosToken), std::move(eosToken));
    return builtin(fallbackTemplateName(file), std::move(bosToken), std::move(eosToken));
}

ChatTemplate ChatTemplate::builtin(std::string_view name, std::string bosToken, std::string eosToken) {
    auto source = builtinTemplateSource(name);
    if (!source) throw Error(ErrorKind::InvalidArgument, "there is no built-in chat template called '" + std::string(name) + "'");
    return ChatTemplate(std::string(*source), std::move(bosToken), std::move(eosToken));
}

ChatTemplate::ChatTemplate(std::string source, std::string bosToken, std::string eosToken, const jinja::Limits& limits)
    : source_(source.empty() ? std::string(*builtinTemplateSource("chatml")) : std::move(source)),
      bosToken_(std::move(bosToken)),
      eosToken_(std::move(eosToken)) {
    try {
        template_ = std::make_shared<const jinja::Template>(source_, jinja::LexerOptions{}, limits);
    } catch (const jinja::TemplateError& e) {
        throw templateError(e);
    }
    // A template that refuses a lone user turn can still be used for real
    // conversations; it just tells us nothing about BOS. One that is too
    // complex for it is hostile, and fails here, at load, like a syntax error.
    try {
        const std::string probe = renderJinja({{"user", "Hello"}}, true, {});
        emitsBos_ = !bosToken_.empty() && probe.starts_with(bosToken_);
    } catch (const jinja::TemplateError& e) {
        if (e.kind() == jinja::TemplateError::Kind::TooComplex) throw templateError(e);
        emitsBos_ = false;
    } catch (const Error&) {
        emitsBos_ = false;
    }
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const {
    return render(messages, addGenerationPrompt, {});
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                                 std::string_view toolsJson) const {
    try {
        return renderJinja(messages, addGenerationPrompt, toolsJson);
    } catch (const jinja::TemplateError& e) {
        throw templateError(e);
    }
}

std::string ChatTemplate::renderJinja(const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                                      std::string_view toolsJson) const {
    jinja::ValueList list;
    for (const auto& m : messages) {
        jinja::ValueDict message;
        message.set("role", jinja::Value(m.role));
        message.set("content", jinja::Value(m.content));
        list.emplace_back(std::move(message));
    }
    jinja::Value tools(nullptr);
    if (!toolsJson.empty()) {
        try {
            tools = jinja::parseJson(toolsJson);
        } catch (const jinja::TemplateError& e) {
            throw Error(ErrorKind::InvalidArgument, "the tool definitions are not valid JSON: " + e.message());
        }
    }
    jinja::ValueDict variables;
    variables.set("messages", jinja::Value(std::move(list)));
    variables.set("add_generation_prompt", jinja::Value(addGenerationPrompt));
    variables.set("bos_token", jinja::Value(bosToken_));
    variables.set("eos_token", jinja::Value(eosToken_));
    variables.set("tools", std::move(tools));
    variables.set("date_string", jinja::Value(today()));
    return template_->render(variables);
}

}  // namespace nibble
