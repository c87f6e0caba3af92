#include "chat/builtin_templates.h"

#include "gguf/gguf_reader.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace nibble {

namespace {

// ChatML, as Qwen, SmolLM and many fine-tunes use it.
constexpr std::string_view kChatml = R"({%- for message in messages %}
    {{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %})";

// Meta Llama 3 Instruct's template.
constexpr std::string_view kLlama3 =
    R"({% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>

'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>

' }}{% endif %})";

// Google Gemma 3 instruct's template: the system prompt joins the first user
// turn, and the assistant is called "model".
constexpr std::string_view kGemma = R"({{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\n'}}
{%- endif -%}
)";

// Mistral Instruct (v0.3 tokens). The system prompt goes into the first user
// turn rather than the last, so earlier turns keep their tokens and the
// prompt cache stays valid as the conversation grows.
constexpr std::string_view kMistral = R"({%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- '[INST] ' + system_message + '\n\n' + message['content'] + '[/INST]' }}
        {%- else %}
            {{- '[INST] ' + message['content'] + '[/INST]' }}
        {%- endif %}
    {%- else %}
        {{- ' ' + message['content'] | trim + eos_token }}
    {%- endif %}
{%- endfor %})";

// Microsoft Phi-3.5 mini instruct's template.
constexpr std::string_view kPhi3 =
    R"({% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'user' %}{{'<|user|>
' + message['content'] + '<|end|>
'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>
' + message['content'] + '<|end|>
'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>
' }}{% else %}{{ eos_token }}{% endif %})";

// Meta Llama 2 chat's template: the system prompt sits in <<SYS>> inside the first [INST].
constexpr std::string_view kLlama2 =
    R"({% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %})";

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kBuiltins = {{
    {"chatml", kChatml},
    {"llama3", kLlama3},
    {"gemma", kGemma},
    {"mistral", kMistral},
    {"phi3", kPhi3},
    {"llama2", kLlama2},
}};

std::string lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

}  // namespace

std::optional<std::string_view> builtinTemplateSource(std::string_view name) {
    for (const auto& [builtinName, source] : kBuiltins)
        if (builtinName == name) return source;
    return std::nullopt;
}

std::string_view fallbackTemplateName(const gguf::GgufFile& file) {
    const std::string arch = lowercase(file.getString("general.architecture").value_or(""));
    const std::string name = lowercase(file.getString("general.name").value_or(""));
    const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
    const auto hasToken = [&](std::string_view token) {
        return tokens && std::find(tokens->strings.begin(), tokens->strings.end(), token) != tokens->strings.end();
    };
    const size_t vocabSize = tokens ? tokens->strings.size() : 0;

    if (arch.starts_with("gemma")) return "gemma";
    if (arch == "phi3") return "phi3";
    if (arch.find("mistral") != std::string::npos || name.find("mistral") != std::string::npos) return "mistral";
    if (hasToken("<|eot_id|>") || (arch == "llama" && vocabSize >= 128000)) return "llama3";
    if (arch.starts_with("qwen") || hasToken("<|im_start|>")) return "chatml";
    if (arch == "llama" && (name.find("llama-2") != std::string::npos || name.find("llama 2") != std::string::npos ||
                            name.find("llama2") != std::string::npos))
        return "llama2";
    return "chatml";
}

}  // namespace nibble
