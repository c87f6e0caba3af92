#include "api_server/openai_protocol.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <cmath>

namespace nibble::app {
namespace {

constexpr int kMaxStopStrings = 4;  // as OpenAI allows

ApiError invalid(const QString& message, const QString& code, const QString& param = {}) {
    return {400, message, "invalid_request_error", code, param};
}

bool isAbsent(const QJsonValue& value) { return value.isUndefined() || value.isNull(); }

// Chat content is a string or a list of parts; only text parts can be read.
std::optional<QString> messageText(const QJsonValue& content) {
    if (content.isString()) return content.toString();
    if (isAbsent(content)) return QString();
    if (!content.isArray()) return std::nullopt;
    QString text;
    for (const QJsonValue& part : content.toArray()) {
        const QJsonObject object = part.toObject();
        if (object.value("type").toString() != "text" || !object.value("text").isString()) return std::nullopt;
        text += object.value("text").toString();
    }
    return text;
}

std::optional<ApiError> readMessages(const QJsonObject& body, PromptInput& prompt) {
    const QJsonValue messages = body.value("messages");
    if (!messages.isArray() || messages.toArray().isEmpty())
        return invalid(QObject::tr("'messages' must be a non-empty list of {role, content} objects."), "missing_messages",
                       "messages");
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString field = QStringLiteral("messages[%1]").arg(i);
        if (!list[i].isObject())
            return invalid(QObject::tr("'%1' must be a {role, content} object.").arg(field), "invalid_value", field);
        const QJsonObject message = list[i].toObject();
        QString role = message.value("role").toString();
        if (role == "developer") role = "system";
        if (role != "system" && role != "user" && role != "assistant")
            return invalid(QObject::tr("Unsupported message role '%1' in '%2': use system, user or assistant.")
                               .arg(role, field),
                           "invalid_role", field + ".role");
        const auto text = messageText(message.value("content"));
        if (!text)
            return invalid(QObject::tr("'%1.content' must be text: a string or a list of text parts.").arg(field),
                           "invalid_content", field + ".content");
        prompt.messages.push_back({role.toStdString(), text->toStdString()});
    }
    return std::nullopt;
}

std::optional<ApiError> readPrompt(const QJsonObject& body, PromptInput& prompt) {
    QJsonValue value = body.value("prompt");
    if (value.isArray() && value.toArray().size() == 1) value = value.toArray().first();
    if (!value.isString())
        return invalid(QObject::tr("'prompt' must be a string (one prompt per request)."), "missing_prompt", "prompt");
    // An empty prompt gives the model nothing to continue from.
    if (value.toString().isEmpty())
        return invalid(QObject::tr("'prompt' must not be empty."), "invalid_value", "prompt");
    prompt.rawText = value.toString().toStdString();
    return std::nullopt;
}

std::optional<ApiError> readNumber(const QJsonObject& body, const char* key, double low, double high,
                                   std::optional<double>& into) {
    const QJsonValue value = body.value(QLatin1String(key));
    if (isAbsent(value)) return std::nullopt;
    if (!value.isDouble() || value.toDouble() < low || value.toDouble() > high)
        return invalid(QObject::tr("'%1' must be a number from %2 to %3.").arg(key).arg(low).arg(high), "invalid_value",
                       key);
    into = value.toDouble();
    return std::nullopt;
}

std::optional<ApiError> readInteger(const QJsonObject& body, const char* key, double low, double high,
                                    std::optional<double>& into) {
    const QJsonValue value = body.value(QLatin1String(key));
    if (isAbsent(value)) return std::nullopt;
    const double number = value.toDouble();
    if (!value.isDouble() || number != std::floor(number) || number < low || number > high)
        return invalid(QObject::tr("'%1' must be a whole number from %2 to %3.")
                           .arg(key)
                           .arg(low, 0, 'f', 0)
                           .arg(high, 0, 'f', 0),
                       "invalid_value", key);
    into = number;
    return std::nullopt;
}

std::optional<ApiError> readBool(const QJsonObject& body, const char* key, bool& into) {
    const QJsonValue value = body.value(QLatin1String(key));
    if (isAbsent(value)) return std::nullopt;
    if (!value.isBool())
        return invalid(QObject::tr("'%1' must be true or false.").arg(key), "invalid_value", key);
    into = value.toBool();
    return std::nullopt;
}

}  // namespace

GenerateOptions CompletionRequest::applyTo(GenerateOptions options) const {
    if (temperature) options.sampling.temperature = float(*temperature);
    if (topP) options.sampling.topP = float(*topP);
    if (prompt.maxTokens) options.maxTokens = *prompt.maxTokens;
    if (seed) options.sampling.seed = *seed;
    options.stop.insert(options.stop.end(), stop.begin(), stop.end());
    return options;
}

std::variant<CompletionRequest, ApiError> parseCompletionRequest(ApiRoute route, const QByteArray& body) {
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return invalid(QObject::tr("The request body is not valid JSON: %1 at offset %2.")
                           .arg(parseError.errorString())
                           .arg(parseError.offset),
                       "invalid_json");
    if (!document.isObject()) return invalid(QObject::tr("The request body must be a JSON object."), "invalid_json");
    const QJsonObject json = document.object();

    CompletionRequest request;
    request.route = route;
    const QJsonValue model = json.value("model");
    if (!isAbsent(model) && !model.isString())
        return invalid(QObject::tr("'model' must be a string."), "invalid_value", "model");
    request.model = model.toString();
    if (auto error = route == ApiRoute::ChatCompletions ? readMessages(json, request.prompt)
                                                        : readPrompt(json, request.prompt))
        return *error;
    if (auto error = readBool(json, "stream", request.stream)) return *error;
    if (auto error = readNumber(json, "temperature", 0, 2, request.temperature)) return *error;
    if (auto error = readNumber(json, "top_p", 0, 1, request.topP)) return *error;
    std::optional<double> maxTokens;
    const char* maxKey = json.contains("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    if (auto error = readInteger(json, maxKey, 1, 1 << 20, maxTokens)) return *error;
    if (maxTokens) request.prompt.maxTokens = int(*maxTokens);
    std::optional<double> seed;
    if (auto error = readInteger(json, "seed", -9.0e15, 9.0e15, seed)) return *error;
    if (seed) request.seed = quint64(qint64(*seed));
    if (const QJsonValue n = json.value("n"); !isAbsent(n) && (!n.isDouble() || n.toDouble() != 1))
        return invalid(QObject::tr("'n' must be 1: one choice per request is supported."), "invalid_value", "n");

    const QJsonValue stop = json.value("stop");
    if (stop.isString()) {
        request.stop.push_back(stop.toString().toStdString());
    } else if (stop.isArray()) {
        if (stop.toArray().size() > kMaxStopStrings)
            return invalid(QObject::tr("At most %1 stop strings are allowed.").arg(kMaxStopStrings), "invalid_value",
                           "stop");
        for (const QJsonValue& value : stop.toArray()) {
            if (!value.isString()) return invalid(QObject::tr("'stop' must hold strings."), "invalid_value", "stop");
            request.stop.push_back(value.toString().toStdString());
        }
    } else if (!stop.isUndefined() && !stop.isNull()) {
        return invalid(QObject::tr("'stop' must be a string or a list of strings."), "invalid_value", "stop");
    }
    std::erase_if(request.stop, [](const std::string& s) { return s.empty(); });
    return request;
}

QString finishReason(StopReason reason) {
    switch (reason) {
    case StopReason::MaxTokens:
    case StopReason::ContextFull: return QStringLiteral("length");
    case StopReason::EndOfText:
    case StopReason::StopString:
    case StopReason::Cancelled: break;
    }
    return QStringLiteral("stop");
}

CompletionEnvelope::CompletionEnvelope(ApiRoute route, QString model)
    : route_(route),
      id_((route == ApiRoute::ChatCompletions ? "chatcmpl-" : "cmpl-") +
          QString::number(QRandomGenerator::global()->generate64(), 16)),
      created_(QDateTime::currentSecsSinceEpoch()),
      model_(std::move(model)) {}

QJsonObject CompletionEnvelope::response(const QString& text, const QString& finish, int promptTokens,
                                         int completionTokens) const {
    QJsonObject choice{{"index", 0}, {"finish_reason", finish}};
    if (route_ == ApiRoute::ChatCompletions) {
        choice.insert("message", QJsonObject{{"role", "assistant"}, {"content", text}});
    } else {
        choice.insert("text", text);
        choice.insert("logprobs", QJsonValue::Null);
    }
    return {{"id", id_},
            {"object", route_ == ApiRoute::ChatCompletions ? "chat.completion" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"choices", QJsonArray{choice}},
            {"usage", QJsonObject{{"prompt_tokens", promptTokens},
                                  {"completion_tokens", completionTokens},
                                  {"total_tokens", promptTokens + completionTokens}}}};
}

QJsonObject CompletionEnvelope::chunk(const QJsonObject& choice) const {
    return {{"id", id_},
            {"object", route_ == ApiRoute::ChatCompletions ? "chat.completion.chunk" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"choices", QJsonArray{choice}}};
}

QJsonObject CompletionEnvelope::firstChunk() const {
    if (route_ == ApiRoute::ChatCompletions)
        return chunk({{"index", 0}, {"delta", QJsonObject{{"role", "assistant"}}}, {"finish_reason", QJsonValue::Null}});
    return textChunk({});
}

QJsonObject CompletionEnvelope::textChunk(const QString& text) const {
    if (route_ == ApiRoute::ChatCompletions)
        return chunk({{"index", 0}, {"delta", QJsonObject{{"content", text}}}, {"finish_reason", QJsonValue::Null}});
    return chunk({{"index", 0}, {"text", text}, {"logprobs", QJsonValue::Null}, {"finish_reason", QJsonValue::Null}});
}

QJsonObject CompletionEnvelope::finalChunk(const QString& finish) const {
    if (route_ == ApiRoute::ChatCompletions)
        return chunk({{"index", 0}, {"delta", QJsonObject{}}, {"finish_reason", finish}});
    return chunk({{"index", 0}, {"text", ""}, {"logprobs", QJsonValue::Null}, {"finish_reason", finish}});
}

QString apiModelId(const QString& modelName, const QString& precision) {
    QString name = modelName.trimmed();
    name.replace(QRegularExpression("\\s+"), "-");
    name.remove('/');
    return name + '/' + precision;
}

}  // namespace nibble::app
