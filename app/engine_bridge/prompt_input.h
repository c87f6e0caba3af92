#pragma once
// What an API request asks the engine to continue: a conversation, rendered
// with the model's chat template, or raw text with no template at all.
#include <nibble/engine.h>

#include <optional>
#include <string>
#include <vector>

namespace nibble::app {

struct PromptInput {
    std::vector<ChatMessage> messages;
    std::optional<std::string> rawText;  // set: a plain completion of this text
    // The client's cap on the reply, which the context must hold beside the
    // prompt; none: the reply may use whatever room the prompt leaves.
    std::optional<int> maxTokens;
};

}  // namespace nibble::app
