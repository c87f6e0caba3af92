#pragma once
// Chat templates for model files that carry none, written the way the model
// families' own Hugging Face templates format a conversation.
#include <optional>
#include <string_view>

namespace nibble {

namespace gguf {
class GgufFile;
}

// The source of a built-in template: "chatml", "llama3", "gemma", "mistral",
// "phi3" or "llama2"; nullopt for other names.
std::optional<std::string_view> builtinTemplateSource(std::string_view name);

// Which built-in suits a file without tokenizer.chat_template, judged from
// general.architecture, general.name and the vocabulary's special tokens.
std::string_view fallbackTemplateName(const gguf::GgufFile& file);

}  // namespace nibble
