#pragma once
// Nibble's local OpenAI-compatible server: GET /v1/models, POST
// /v1/chat/completions and POST /v1/completions on 127.0.0.1 only, for
// requests addressed to this computer, from no web page but those the user
// allowed, and with the key (api_access.h says why all three). Requests
// run on the app's own engine worker, one at a time, in turn with the chat
// window's replies (the worker keeps one model resident and runs the chat
// window's replies before waiting API requests); those waiting beyond the
// queue's size are turned away with 503. A client that hangs up, or a
// request past its deadline, stops its generation at once, even mid-prompt.
#include "api_server/http_connection.h"
#include "api_server/http_listener.h"
#include "api_server/openai_protocol.h"

#include <QElapsedTimer>
#include <QHostAddress>
#include <QObject>
#include <QPointer>

#include <deque>
#include <memory>
#include <optional>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

class AppSettings;
class EngineHost;
class VariantListModel;
struct GenerationStats;

class ApiServer : public QObject {
    Q_OBJECT
    Q_PROPERTY(bool running READ running NOTIFY stateChanged)
    Q_PROPERTY(QString url READ url NOTIFY stateChanged)
    Q_PROPERTY(QString error READ error NOTIFY stateChanged)
    Q_PROPERTY(bool busy READ busy NOTIFY activityChanged)
    Q_PROPERTY(int waiting READ waiting NOTIFY activityChanged)

public:
    struct Limits {
        HttpConnection::Limits http;
        int maxQueued = 32;               // requests waiting behind the one running
        int requestTimeoutMs = 300'000;   // from arrival to the reply's last token
        int maxConnections = 64;
    };

    ApiServer(const storage::Database& db, EngineHost& engine, AppSettings& settings, VariantListModel& variants,
              QObject* parent = nullptr);
    ~ApiServer() override;

    // Follows the settings: listens on their port while the server is on.
    void applySettings();
    // Listens on 127.0.0.1:port (0: any free port), making the settings' key
    // first when there is none; false, with error(), when it cannot.
    bool listen(quint16 port);
    void stop();
    void setLimits(const Limits& limits) { limits_ = limits; }

    bool running() const { return server_.isListening(); }
    quint16 port() const { return server_.serverPort(); }
    QString url() const;
    QString error() const { return error_; }
    // Whether an API request is generating now, and how many wait behind it.
    bool busy() const { return current_ != nullptr; }
    int waiting() const { return int(queue_.size()); }

signals:
    void stateChanged();
    void activityChanged();

private:
    struct Call;

    void onAccepted(qintptr descriptor);
    void handle(HttpConnection* connection, const HttpRequest& request);
    // The refusal for a request that is not addressed to this computer or
    // comes from a web page the user did not allow.
    std::optional<ApiError> misaddressed(const HttpRequest& request) const;
    void listModels(HttpConnection* connection);
    void enqueue(HttpConnection* connection, CompletionRequest request);
    void startNext();
    // The running call's engine reply reports to these.
    void onPiece(const QString& piece);
    void onFinished(const GenerationStats& stats);
    void onFailed(const ApiError& error);
    void onAbandoned(Call* call);
    void onTimeout(Call* call);
    void finishCurrent();
    // Saves the exchange as a new conversation, all or nothing.
    void store(const Call& call) const;
    // The variant a model id names, or the app's current choice for an empty one.
    std::optional<qint64> resolveModel(const QString& id, QString* canonicalId) const;
    // CORS headers for a request from an allowed web page; none otherwise.
    HttpConnection::Headers corsHeaders(const HttpRequest& request) const;

    const storage::Database& db_;
    EngineHost& engine_;
    AppSettings& settings_;
    VariantListModel& variants_;
    Limits limits_;
    HttpListener server_;
    QString error_;
    std::deque<std::unique_ptr<Call>> queue_;
    std::unique_ptr<Call> current_;
};

}  // namespace nibble::app
