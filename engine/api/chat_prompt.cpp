#include "api/chat_prompt.h"

#include "api/model_impl.h"

namespace nibble {

std::vector<int32_t> encodeChatPrompt(const ModelImpl& model, const std::vector<ChatMessage>& messages) {
    const bool addBos = model.tokenizer->addBos() && !model.chatTemplate->emitsBos();
    return model.tokenizer->encode(model.chatTemplate->render(messages, true), addBos, true);
}

FittedChatPrompt fitChatPrompt(const ModelImpl& model, std::vector<ChatMessage> messages, int contextLength,
                               int replyTokens) {
    FittedChatPrompt fitted;
    for (;;) {
        fitted.tokens = encodeChatPrompt(model, messages);
        if (int(fitted.tokens.size()) + replyTokens <= contextLength) return fitted;
        const size_t first = (!messages.empty() && messages.front().role == "system") ? 1 : 0;
        if (messages.size() <= first + 1)
            throw Error(ErrorKind::ContextFull, "the message is too long for the model's context window (" +
                                                    std::to_string(fitted.tokens.size()) + " of " +
                                                    std::to_string(contextLength) + " tokens)");
        messages.erase(messages.begin() + first);
        // Templates that insist on alternating roles need the history to start with a user turn.
        while (messages.size() > first + 1 && messages[first].role == "assistant")
            messages.erase(messages.begin() + first);
        ++fitted.droppedMessages;
    }
}

}  // namespace nibble
