#include "shell/app_settings.h"

#include "api_server/api_access.h"

namespace nibble::app {
namespace {
const SamplingParams kDefaults;
}

AppSettings::AppSettings(const QString& file, QString dataFolder, QObject* parent)
    : QObject(parent), settings_(file, QSettings::IniFormat), dataFolder_(std::move(dataFolder)) {}

void AppSettings::store(const QString& key, const QVariant& value) {
    if (settings_.value(key) == value) return;
    settings_.setValue(key, value);
    emit changed();
}

QString AppSettings::theme() const { return settings_.value("appearance/theme", "system").toString(); }
void AppSettings::setTheme(const QString& theme) { store("appearance/theme", theme); }

QString AppSettings::device() const { return settings_.value("engine/device", "auto").toString(); }
void AppSettings::setDevice(const QString& device) { store("engine/device", device); }

int AppSettings::contextLength() const { return settings_.value("engine/contextLength", 0).toInt(); }
void AppSettings::setContextLength(int tokens) { store("engine/contextLength", qMax(0, tokens)); }

double AppSettings::temperature() const { return settings_.value("sampling/temperature", kDefaults.temperature).toDouble(); }
void AppSettings::setTemperature(double value) { store("sampling/temperature", value); }

double AppSettings::topP() const { return settings_.value("sampling/topP", kDefaults.topP).toDouble(); }
void AppSettings::setTopP(double value) { store("sampling/topP", value); }

int AppSettings::topK() const { return settings_.value("sampling/topK", kDefaults.topK).toInt(); }
void AppSettings::setTopK(int value) { store("sampling/topK", value); }

double AppSettings::minP() const { return settings_.value("sampling/minP", kDefaults.minP).toDouble(); }
void AppSettings::setMinP(double value) { store("sampling/minP", value); }

double AppSettings::repeatPenalty() const {
    return settings_.value("sampling/repeatPenalty", kDefaults.repeatPenalty).toDouble();
}
void AppSettings::setRepeatPenalty(double value) { store("sampling/repeatPenalty", value); }

int AppSettings::maxTokens() const { return settings_.value("sampling/maxTokens", 512).toInt(); }
void AppSettings::setMaxTokens(int tokens) { store("sampling/maxTokens", qMax(1, tokens)); }

int AppSettings::seed() const { return settings_.value("sampling/seed", 0).toInt(); }
void AppSettings::setSeed(int seed) { store("sampling/seed", qMax(0, seed)); }

QString AppSettings::systemPrompt() const { return settings_.value("chat/systemPrompt").toString(); }
void AppSettings::setSystemPrompt(const QString& prompt) { store("chat/systemPrompt", prompt); }

QString AppSettings::hubToken() const { return settings_.value("hub/token").toString(); }
void AppSettings::setHubToken(const QString& token) { store("hub/token", token.trimmed()); }

qint64 AppSettings::lastVariantId() const { return settings_.value("chat/lastVariantId", 0).toLongLong(); }
void AppSettings::setLastVariantId(qint64 id) { store("chat/lastVariantId", id); }

// Before the question was asked, the first run made the copy unasked; those
// users were answered for (library/bundledVariantDerived).
bool AppSettings::firstRunEightBitAnswered() const {
    return settings_.value("library/firstRunEightBitAnswered", settings_.value("library/bundledVariantDerived", false))
        .toBool();
}
void AppSettings::setFirstRunEightBitAnswered() { store("library/firstRunEightBitAnswered", true); }

QString AppSettings::gpuSituation() const { return settings_.value("notices/gpuSituation").toString(); }
void AppSettings::setGpuSituation(const QString& situation) { store("notices/gpuSituation", situation); }
double AppSettings::memoryReadBandwidth() const { return settings_.value("hardware/memoryReadBandwidth", 0.0).toDouble(); }
void AppSettings::setMemoryReadBandwidth(double bytesPerSecond) {
    store("hardware/memoryReadBandwidth", bytesPerSecond);
}

bool AppSettings::apiEnabled() const { return settings_.value("api/enabled", false).toBool(); }
void AppSettings::setApiEnabled(bool enabled) {
    if (enabled) ensureApiKey();
    store("api/enabled", enabled);
}

int AppSettings::apiPort() const { return settings_.value("api/port", 8181).toInt(); }
void AppSettings::setApiPort(int port) { store("api/port", qBound(1, port, 65535)); }

QString AppSettings::apiKey() const { return settings_.value("api/key").toString(); }

void AppSettings::ensureApiKey() {
    if (apiKey().isEmpty()) regenerateApiKey();
}

void AppSettings::regenerateApiKey() { store("api/key", newApiKey()); }

bool AppSettings::apiStoresConversations() const { return settings_.value("api/storeConversations", false).toBool(); }
void AppSettings::setApiStoresConversations(bool store) { this->store("api/storeConversations", store); }

QStringList AppSettings::apiAllowedOrigins() const {
    QStringList origins = settings_.value("api/allowedOrigins").toStringList();
    origins.removeAll(QString());  // how the ini file keeps an empty list
    return origins;
}
void AppSettings::setApiAllowedOrigins(const QStringList& origins) {
    QStringList normalized;
    for (const QString& origin : origins)
        if (const QString form = normalizedOrigin(origin); !form.isEmpty() && !normalized.contains(form))
            normalized.append(form);
    store("api/allowedOrigins", normalized);
}

void AppSettings::resetSampling() {
    settings_.remove("sampling");
    emit changed();
}

LoadOptions AppSettings::loadOptions() const {
    LoadOptions options;
    const QString chosen = device();
    if (chosen == "cpu") {
        options.backend = BackendKind::Cpu;
    } else if (chosen == "cpu-exact") {
        options.backend = BackendKind::Reference;
    } else if (chosen != "auto" && !chosen.isEmpty()) {
        options.backend = BackendKind::Vulkan;
        options.device = chosen.toStdString();
    }
    options.contextLength = uint32_t(contextLength());
    return options;
}

ConversationSettings AppSettings::conversationDefaults(const RecommendedSampling& recommended) const {
    // A value the user chose wins over the model's recommendation.
    const auto pick = [this](const char* key, auto recommendedValue, auto chosen) {
        return settings_.contains(QLatin1String(key)) ? chosen : recommendedValue.value_or(chosen);
    };
    ConversationSettings defaults;
    defaults.systemPrompt = systemPrompt();
    defaults.temperature = pick("sampling/temperature", recommended.temperature, temperature());
    defaults.topP = pick("sampling/topP", recommended.topP, topP());
    defaults.topK = pick("sampling/topK", recommended.topK, topK());
    defaults.minP = pick("sampling/minP", recommended.minP, minP());
    defaults.repeatPenalty = pick("sampling/repeatPenalty", recommended.repeatPenalty, repeatPenalty());
    defaults.maxTokens = maxTokens();
    defaults.seed = seed();
    return defaults;
}

}  // namespace nibble::app
