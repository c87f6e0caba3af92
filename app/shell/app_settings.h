#pragma once
// The user's preferences, kept in settings.ini in the data folder and exposed
// to QML as properties. The defaults are the engine's own.
#include "chat/conversation_settings.h"
#include "library/recommended_sampling.h"

#include <nibble/engine.h>

#include <QObject>
#include <QSettings>

namespace nibble::app {

class AppSettings : public QObject {
    Q_OBJECT
    Q_PROPERTY(QString theme READ theme WRITE setTheme NOTIFY changed)
    Q_PROPERTY(QString device READ device WRITE setDevice NOTIFY changed)
    Q_PROPERTY(int contextLength READ contextLength WRITE setContextLength NOTIFY changed)
    Q_PROPERTY(double temperature READ temperature WRITE setTemperature NOTIFY changed)
    Q_PROPERTY(double topP READ topP WRITE setTopP NOTIFY changed)
    Q_PROPERTY(int topK READ topK WRITE setTopK NOTIFY changed)
    Q_PROPERTY(double minP READ minP WRITE setMinP NOTIFY changed)
    Q_PROPERTY(double repeatPenalty READ repeatPenalty WRITE setRepeatPenalty NOTIFY changed)
    Q_PROPERTY(int maxTokens READ maxTokens WRITE setMaxTokens NOTIFY changed)
    Q_PROPERTY(int seed READ seed WRITE setSeed NOTIFY changed)
    Q_PROPERTY(QString systemPrompt READ systemPrompt WRITE setSystemPrompt NOTIFY changed)
    Q_PROPERTY(QString dataFolder READ dataFolder CONSTANT)
    Q_PROPERTY(bool apiEnabled READ apiEnabled WRITE setApiEnabled NOTIFY changed)
    Q_PROPERTY(int apiPort READ apiPort WRITE setApiPort NOTIFY changed)
    Q_PROPERTY(QString apiKey READ apiKey NOTIFY changed)
    Q_PROPERTY(bool apiStoresConversations READ apiStoresConversations WRITE setApiStoresConversations NOTIFY changed)
    Q_PROPERTY(QStringList apiAllowedOrigins READ apiAllowedOrigins WRITE setApiAllowedOrigins NOTIFY changed)
    Q_PROPERTY(QString hubToken READ hubToken WRITE setHubToken NOTIFY changed)

public:
    AppSettings(const QString& file, QString dataFolder, QObject* parent = nullptr);

    // "system", "light" or "dark"
    QString theme() const;
    void setTheme(const QString& theme);
    // "auto", "cpu", "cpu-exact" (the float32 reference path), or a Vulkan device's name
    QString device() const;
    void setDevice(const QString& device);
    int contextLength() const;  // 0: the model's own, capped by the engine
    void setContextLength(int tokens);
    double temperature() const;
    void setTemperature(double value);
    double topP() const;
    void setTopP(double value);
    int topK() const;
    void setTopK(int value);
    double minP() const;
    void setMinP(double value);
    double repeatPenalty() const;
    void setRepeatPenalty(double value);
    int maxTokens() const;
    void setMaxTokens(int tokens);
    int seed() const;  // 0: a fresh seed for every reply
    void setSeed(int seed);
    QString systemPrompt() const;
    void setSystemPrompt(const QString& prompt);
    QString dataFolder() const { return dataFolder_; }

    // The local OpenAI-compatible server: off unless turned on, loopback
    // only, and always behind a key (made when the server is first turned on).
    bool apiEnabled() const;
    void setApiEnabled(bool enabled);
    int apiPort() const;
    void setApiPort(int port);
    QString apiKey() const;
    // Makes a key when there is none yet.
    void ensureApiKey();
    // Replaces the key: clients holding the old one are refused from now on.
    Q_INVOKABLE void regenerateApiKey();
    bool apiStoresConversations() const;
    void setApiStoresConversations(bool store);
    // Web origins ("https://example.com") whose pages may call the server;
    // stored in the form browsers send them, anything else dropped.
    QStringList apiAllowedOrigins() const;
    void setApiAllowedOrigins(const QStringList& origins);

    // A Hugging Face access token, for gated models; sent to the Hub's own
    // host only. Kept in settings.ini, which only the user can read (Qt 6.4
    // on Debian offers no keychain).
    QString hubToken() const;
    void setHubToken(const QString& token);

    qint64 lastVariantId() const;
    void setLastVariantId(qint64 id);
    // Whether the first run's question (download the bundled model's 8-bit
    // original, or make an 8-bit copy) was answered, so it is not asked again.
    bool firstRunEightBitAnswered() const;
    void setFirstRunEightBitAnswered();
    // The GPU situation GpuNotice last told the user about ("gpu", "none", "cpu:<device>").
    QString gpuSituation() const;
    void setGpuSituation(const QString& situation);
    // Bytes per second this computer reads memory at, measured once (0: not yet).
    double memoryReadBandwidth() const;
    void setMemoryReadBandwidth(double bytesPerSecond);

    LoadOptions loadOptions() const;
    // What a new conversation starts with: the global system prompt, and for
    // sampling the values the user set here, else the model's recommended
    // ones, else the engine's defaults.
    ConversationSettings conversationDefaults(const RecommendedSampling& recommended = {}) const;
    Q_INVOKABLE void resetSampling();

signals:
    void changed();

private:
    void store(const QString& key, const QVariant& value);

    mutable QSettings settings_;
    QString dataFolder_;
};

}  // namespace nibble::app
