#pragma once
// The OpenAI request and response shapes the API server speaks: parsing
// /v1/chat/completions and /v1/completions bodies, and building replies,
// stream chunks and model lists exactly as OpenAI clients expect them.
#include "api_server/api_error.h"
#include "engine_bridge/prompt_input.h"

#include <nibble/engine.h>

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>
#include <variant>

namespace nibble::app {

enum class ApiRoute { ChatCompletions, Completions };

struct CompletionRequest {
    ApiRoute route = ApiRoute::ChatCompletions;
    QString model;  // empty: the variant the app has chosen
    PromptInput prompt;
    bool stream = false;
    std::optional<double> temperature;
    std::optional<double> topP;
    std::optional<quint64> seed;
    std::vector<std::string> stop;

    // The request's sampling over the app's defaults.
    GenerateOptions applyTo(GenerateOptions defaults) const;
};

std::variant<CompletionRequest, ApiError> parseCompletionRequest(ApiRoute route, const QByteArray& body);

// "stop" or "length", as OpenAI reports why a reply ended.
QString finishReason(StopReason reason);

// One reply's identity and the JSON it is sent as: a whole response, or
// chunks of a stream, all with the same id, creation time and model.
class CompletionEnvelope {
public:
    CompletionEnvelope(ApiRoute route, QString model);

    const QString& id() const { return id_; }
    // The complete reply, with token usage.
    QJsonObject response(const QString& text, const QString& finishReason, int promptTokens,
                         int completionTokens) const;
    // A stream's first chunk: for chat, the assistant role with no text.
    QJsonObject firstChunk() const;
    QJsonObject textChunk(const QString& text) const;
    QJsonObject finalChunk(const QString& finishReason) const;

private:
    QJsonObject chunk(const QJsonObject& choice) const;

    ApiRoute route_;
    QString id_;
    qint64 created_;
    QString model_;
};

// "SmolLM2-135M-Instruct/Q4_1": the model's name without spaces, then the variant's precision.
QString apiModelId(const QString& modelName, const QString& precision);

}  // namespace nibble::app
