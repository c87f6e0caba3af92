#pragma once
// Turns a conversation into the prompt text a model was trained on, by
// running the model's own Jinja2 chat template (GGUF key
// tokenizer.chat_template) the way Hugging Face transformers does:
// trim_blocks and lstrip_blocks on, tojson without ASCII escaping,
// raise_exception and strftime_now available, `tools` none unless given.
//
// BOS: many templates write the BOS token's text themselves (Gemma's and
// Llama 3's start with {{ bos_token }}); others (ChatML, as in SmolLM2) write
// none. Tokenize render()'s output with parseSpecial=true so the special
// tokens' text becomes the special tokens, and with addSpecial=false when
// emitsBos() is true, or the prompt would start with two BOS tokens. When
// emitsBos() is false, add BOS only if the model's metadata asks for it
// (tokenizer.ggml.add_bos_token).
#include "chat/jinja_limits.h"
#include "nibble/engine.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nibble {

namespace gguf {
class GgufFile;
}
namespace jinja {
class Template;
}

class ChatTemplate {
public:
    // Uses tokenizer.chat_template when the file has one, otherwise the
    // built-in that suits its architecture, name and vocabulary (see
    // fallbackTemplateName). bosToken/eosToken are the text of the model's
    // BOS/EOS tokens, which templates print as bos_token and eos_token.
    static ChatTemplate fromGguf(const gguf::GgufFile& file, std::string bosToken, std::string eosToken);

    // source: Jinja2 template text; empty picks the "chatml" built-in.
    // Throws Error(InvalidFile) naming the line of a syntax error, or when the
    // template is too complex (nested too deeply, or past a limit while
    // rendering a one-message conversation). Only the fuzzer sets tighter limits.
    ChatTemplate(std::string source, std::string bosToken, std::string eosToken, const jinja::Limits& limits = {});

    // Built-in fallbacks: "chatml", "llama3", "gemma", "mistral", "phi3", "llama2".
    // Throws Error(InvalidArgument) for other names.
    static ChatTemplate builtin(std::string_view name, std::string bosToken, std::string eosToken);

    // Throws Error(InvalidFile) when the template fails or rejects the
    // conversation (raise_exception), with its message and line, or when it
    // goes past jinja::Limits ("chat template is too complex: ...").
    std::string render(const std::vector<ChatMessage>& messages, bool addGenerationPrompt) const;
    // The same, offering tools to the model: toolsJson is a JSON array of
    // tool definitions ({"type": "function", "function": {...}}), passed to
    // the template as `tools`. Throws Error(InvalidArgument) for invalid JSON.
    std::string render(const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                       std::string_view toolsJson) const;

    const std::string& source() const { return source_; }
    // True when the rendered prompt starts with bos_token's text.
    bool emitsBos() const { return emitsBos_; }

private:
    // render() leaving the template's own errors as jinja::TemplateError.
    std::string renderJinja(const std::vector<ChatMessage>& messages, bool addGenerationPrompt,
                            std::string_view toolsJson) const;

    std::string source_;
    std::string bosToken_;
    std::string eosToken_;
    std::shared_ptr<const jinja::Template> template_;
    bool emitsBos_ = false;
};

}  // namespace nibble
