#pragma once
// How one conversation is answered: its system prompt, sampling, reply length
// and seed. A conversation stores what its settings panel saved (the sampling
// column's JSON, keys as the chat layer names them: "temperature", "top_p",
// ...); a key it lacks follows the defaults of the model answering it.
#include <nibble/engine.h>

#include <QJsonObject>
#include <QString>
#include <QVariantMap>

namespace nibble::app {

struct ConversationSettings {
    QString systemPrompt;
    double temperature = SamplingParams{}.temperature;
    double topP = SamplingParams{}.topP;
    int topK = SamplingParams{}.topK;
    double minP = SamplingParams{}.minP;
    double repeatPenalty = SamplingParams{}.repeatPenalty;
    int maxTokens = GenerateOptions{}.maxTokens;
    int seed = 0;  // 0: a fresh seed for every reply

    // A stored conversation's settings over defaults.
    static ConversationSettings fromStored(const QString& systemPrompt, const QJsonObject& sampling,
                                           const ConversationSettings& defaults);
    QJsonObject samplingJson() const;

    // QML's form: a map with the member names as keys; a key it lacks keeps
    // the value in defaults, and values out of range are brought into it.
    static ConversationSettings fromMap(const QVariantMap& map, const ConversationSettings& defaults);
    QVariantMap toMap() const;

    // The engine's options, with a fresh seed when none is fixed.
    GenerateOptions generateOptions() const;

    bool operator==(const ConversationSettings&) const = default;
};

}  // namespace nibble::app
