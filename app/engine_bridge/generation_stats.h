#pragma once
// How one reply went, as the worker reports it to the UI thread.
#include <nibble/engine.h>

#include <QMetaType>

namespace nibble::app {

struct GenerationStats {
    StopReason stopReason = StopReason::EndOfText;
    int generatedTokens = 0;
    double tokensPerSecond = 0;
    int promptTokens = 0;
    double promptTokensPerSecond = 0;
    int droppedMessages = 0;
    int contextUsed = 0;  // -1: the request never ran, so it says nothing of the context
    int contextLength = 0;
};

}  // namespace nibble::app

Q_DECLARE_METATYPE(nibble::app::GenerationStats)
