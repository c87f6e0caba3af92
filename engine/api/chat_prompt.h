#pragma once
// How a conversation becomes the tokens a model evaluates: the one rule that
// Session::chat, Session::fitChat and compareModels share, so the prompt an
// API client is told fits, or a comparison scores, is the prompt chat() runs.
#include "nibble/engine.h"

#include <cstdint>
#include <vector>

namespace nibble {

class ModelImpl;

// The chat template's text, its special tokens parsed, after BOS unless the
// template writes its own (or the model's metadata asks for none).
std::vector<int32_t> encodeChatPrompt(const ModelImpl& model, const std::vector<ChatMessage>& messages);

struct FittedChatPrompt {
    std::vector<int32_t> tokens;
    int droppedMessages = 0;
};

// The conversation encoded with replyTokens left free in contextLength. When
// it does not fit, its oldest turns after the system prompt are dropped: a
// long chat goes on rather than ending. The newest message always stays;
// Error(ContextFull) when it alone does not fit.
FittedChatPrompt fitChatPrompt(const ModelImpl& model, std::vector<ChatMessage> messages, int contextLength,
                               int replyTokens);

}  // namespace nibble
