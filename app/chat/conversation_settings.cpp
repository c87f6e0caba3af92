#include "chat/conversation_settings.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace nibble::app {
namespace {

// One field as each form spells it.
struct Field {
    const char* stored;  // key in the sampling column's JSON
    const char* map;     // key in QML's map
    double ConversationSettings::* real = nullptr;
    int ConversationSettings::* whole = nullptr;
    double low;
    double high;
};

constexpr Field kFields[] = {
    {"temperature", "temperature", &ConversationSettings::temperature, nullptr, 0, 2},
    {"top_p", "topP", &ConversationSettings::topP, nullptr, 0, 1},
    {"top_k", "topK", nullptr, &ConversationSettings::topK, 0, 1000},
    {"min_p", "minP", &ConversationSettings::minP, nullptr, 0, 1},
    {"repeat_penalty", "repeatPenalty", &ConversationSettings::repeatPenalty, nullptr, 1, 2},
    {"max_tokens", "maxTokens", nullptr, &ConversationSettings::maxTokens, 1, 32768},
    {"seed", "seed", nullptr, &ConversationSettings::seed, 0, 2147483647},
};

// Copies every field present (as a number) in source, kept within its range.
template <typename Source>
void overlay(ConversationSettings& settings, const Source& source, const char* Field::* key) {
    for (const Field& field : kFields) {
        const auto value = source.value(QString::fromLatin1(field.*key));
        bool isNumber = false;
        double number = 0;
        if constexpr (std::is_same_v<Source, QJsonObject>) {
            isNumber = value.isDouble();
            number = value.toDouble();
        } else {
            number = value.toDouble(&isNumber);
        }
        if (!isNumber) continue;
        number = std::clamp(number, field.low, field.high);
        if (field.real)
            settings.*field.real = number;
        else
            settings.*field.whole = int(std::lround(number));
    }
}

}  // namespace

ConversationSettings ConversationSettings::fromStored(const QString& systemPrompt, const QJsonObject& sampling,
                                                      const ConversationSettings& defaults) {
    ConversationSettings settings = defaults;
    settings.systemPrompt = systemPrompt;
    overlay(settings, sampling, &Field::stored);
    return settings;
}

QJsonObject ConversationSettings::samplingJson() const {
    QJsonObject json;
    for (const Field& field : kFields)
        json.insert(QString::fromLatin1(field.stored), field.real ? this->*field.real : double(this->*field.whole));
    return json;
}

ConversationSettings ConversationSettings::fromMap(const QVariantMap& map, const ConversationSettings& defaults) {
    ConversationSettings settings = defaults;
    if (const auto prompt = map.constFind(QStringLiteral("systemPrompt")); prompt != map.constEnd())
        settings.systemPrompt = prompt->toString();
    overlay(settings, map, &Field::map);
    return settings;
}

QVariantMap ConversationSettings::toMap() const {
    QVariantMap map{{QStringLiteral("systemPrompt"), systemPrompt}};
    for (const Field& field : kFields)
        map.insert(QString::fromLatin1(field.map),
                   field.real ? QVariant(this->*field.real) : QVariant(this->*field.whole));
    return map;
}

GenerateOptions ConversationSettings::generateOptions() const {
    GenerateOptions options;
    options.maxTokens = maxTokens;
    options.sampling.temperature = float(temperature);
    options.sampling.topP = float(topP);
    options.sampling.topK = topK;
    options.sampling.minP = float(minP);
    options.sampling.repeatPenalty = float(repeatPenalty);
    options.sampling.seed = seed > 0 ? uint64_t(seed) : QRandomGenerator::global()->generate64();
    return options;
}

}  // namespace nibble::app
