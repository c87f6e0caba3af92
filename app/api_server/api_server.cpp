#include "api_server/api_server.h"

#include "api_server/api_access.h"
#include "shell/app_settings.h"
#include "engine_bridge/engine_host.h"
#include "engine_bridge/engine_target.h"
#include "storage/conversation_store.h"
#include "storage/message_store.h"
#include "storage/transaction.h"
#include "library/variant_defaults.h"
#include "library/variant_list_model.h"

#include <spdlog/spdlog.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace nibble::app {
namespace {

QByteArray compact(const QJsonObject& object) { return QJsonDocument(object).toJson(QJsonDocument::Compact); }

void respondError(HttpConnection* connection, const ApiError& error) {
    if (connection) connection->respond(error.status, "application/json", error.body());
}

}  // namespace

struct ApiServer::Call {
    Call(HttpConnection* connection, CompletionRequest request, QString modelId, qint64 variantId)
        : connection(connection),
          request(std::move(request)),
          envelope(this->request.route, std::move(modelId)),
          variantId(variantId) {}

    QPointer<HttpConnection> connection;
    CompletionRequest request;
    CompletionEnvelope envelope;
    qint64 variantId;
    std::unique_ptr<EngineReply> reply;  // none: still waiting for its turn
    bool abandoned = false;  // nobody waits for the answer any more: stop at the first chance
    QString text;
    QTimer deadline;
};

ApiServer::ApiServer(const storage::Database& db, EngineHost& engine, AppSettings& settings,
                     VariantListModel& variants, QObject* parent)
    : QObject(parent),
      db_(db),
      engine_(engine),
      settings_(settings),
      variants_(variants),
      server_([this](qintptr descriptor) { onAccepted(descriptor); }) {}

// The running call's reply goes with it, cancelling the engine's work.
ApiServer::~ApiServer() = default;

void ApiServer::applySettings() {
    if (!settings_.apiEnabled()) {
        stop();
        return;
    }
    // Before anything else: making the key is itself a change of settings
    // that comes back here.
    settings_.ensureApiKey();
    if (running() && port() == settings_.apiPort()) return;
    stop();
    listen(quint16(settings_.apiPort()));
}

bool ApiServer::listen(quint16 port) {
    settings_.ensureApiKey();
    stop();
    // Loopback only: the server has no TLS, and a model on this machine is no
    // business of the network's.
    if (!server_.listen(QHostAddress::LocalHost, port)) {
        error_ = tr("Port %1 cannot be used: %2").arg(port).arg(server_.errorString());
        spdlog::warn("API server: {}", error_.toStdString());
        emit stateChanged();
        return false;
    }
    error_.clear();
    spdlog::info("API server listening on {}", url().toStdString());
    emit stateChanged();
    return true;
}

void ApiServer::stop() {
    if (!server_.isListening() && error_.isEmpty()) return;
    server_.close();
    error_.clear();
    emit stateChanged();
}

QString ApiServer::url() const {
    return running() ? QStringLiteral("http://127.0.0.1:%1/v1").arg(port()) : QString();
}

HttpConnection::Headers ApiServer::corsHeaders(const HttpRequest& request) const {
    const QByteArray origin = request.header("origin");
    if (origin.isEmpty()) return {};
    return {{"Access-Control-Allow-Origin", origin},
            {"Vary", "Origin"},
            {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
            {"Access-Control-Allow-Methods", "GET, POST, OPTIONS"}};
}

void ApiServer::onAccepted(qintptr descriptor) {
    const int open = int(findChildren<HttpConnection*>(Qt::FindDirectChildrenOnly).size());
    auto* connection = new HttpConnection(descriptor, limits_.http, this);
    std::optional<ApiError> refusal;
    if (!connection->peerAddress().isLoopback())
        refusal = ApiError{403, tr("Only this computer may use the server."), "invalid_request_error", "forbidden"};
    else if (open >= limits_.maxConnections)
        refusal = ApiError{503, tr("Too many connections are open; try again shortly."), "server_error", "server_busy"};
    // Even a refusal waits for the whole request: closing on unread input
    // resets the connection, and the client would never see why.
    connect(connection, &HttpConnection::requestReady, this,
            [this, connection, refusal](const HttpRequest& request) {
                if (refusal)
                    respondError(connection, *refusal);
                else
                    handle(connection, request);
            });
}

std::optional<ApiError> ApiServer::misaddressed(const HttpRequest& request) const {
    if (!isLoopbackHost(request.header("host"), port()))
        return ApiError{403,
                        tr("This server answers only requests addressed to localhost or 127.0.0.1 on port %1.")
                            .arg(port()),
                        "invalid_request_error", "invalid_host"};
    const QByteArray origin = request.header("origin");
    if (!isAllowedOrigin(origin, port(), settings_.apiAllowedOrigins()))
        return ApiError{403,
                        tr("Web pages from %1 may not use this server. Add the origin to the allowed web pages "
                           "in Nibble's settings to let them.")
                            .arg(QString::fromLatin1(origin)),
                        "invalid_request_error", "forbidden_origin"};
    return std::nullopt;
}

void ApiServer::handle(HttpConnection* connection, const HttpRequest& request) {
    if (const auto refusal = misaddressed(request)) {
        respondError(connection, *refusal);
        return;
    }
    connection->setExtraHeaders(corsHeaders(request));
    const bool chat = request.path == "/v1/chat/completions";
    const bool completions = request.path == "/v1/completions";
    const bool models = request.path == "/v1/models";
    if (!chat && !completions && !models) {
        respondError(connection, {404, tr("There is no route %1 %2.").arg(QString::fromUtf8(request.method),
                                                                         QString::fromUtf8(request.path)),
                                  "invalid_request_error", "not_found"});
        return;
    }
    // A browser's preflight carries no key; the request that follows must.
    if (request.method == "OPTIONS") {
        connection->respond(204, {}, {});
        return;
    }
    if (!carriesBearerKey(request.header("authorization"), settings_.apiKey())) {
        respondError(connection, {401, tr("Incorrect API key. Send the key shown in Nibble's settings as "
                                          "\"Authorization: Bearer <key>\"."),
                                  "invalid_request_error", "invalid_api_key"});
        return;
    }
    const QByteArray method = models ? "GET" : "POST";
    if (request.method != method) {
        respondError(connection, {405, tr("Use %1 for %2.").arg(QString::fromUtf8(method), QString::fromUtf8(request.path)),
                                  "invalid_request_error", "method_not_allowed"});
        return;
    }
    if (models) {
        listModels(connection);
        return;
    }
    if (!isJsonContentType(request.header("content-type"))) {
        respondError(connection, {415, tr("Send the request body as JSON, with \"Content-Type: application/json\"."),
                                  "invalid_request_error", "unsupported_media_type"});
        return;
    }
    auto parsed = parseCompletionRequest(chat ? ApiRoute::ChatCompletions : ApiRoute::Completions, request.body);
    if (auto* error = std::get_if<ApiError>(&parsed)) {
        respondError(connection, *error);
        return;
    }
    enqueue(connection, std::move(std::get<CompletionRequest>(parsed)));
}

void ApiServer::listModels(HttpConnection* connection) {
    QJsonArray data;
    for (int row = 0; row < variants_.rowCount(); ++row) {
        const QModelIndex index = variants_.index(row);
        const auto variant = variants_.variant(variants_.variantIdAt(row));
        data.append(QJsonObject{
            {"id", apiModelId(index.data(VariantListModel::ModelNameRole).toString(),
                              index.data(VariantListModel::PrecisionRole).toString())},
            {"object", "model"},
            {"created", variant ? variant->createdAt.toSecsSinceEpoch() : 0},
            {"owned_by", "nibble"}});
    }
    connection->respond(200, "application/json", compact({{"object", "list"}, {"data", data}}));
}

std::optional<qint64> ApiServer::resolveModel(const QString& id, QString* canonicalId) const {
    const auto idAt = [this](int row) {
        const QModelIndex index = variants_.index(row);
        return apiModelId(index.data(VariantListModel::ModelNameRole).toString(),
                          index.data(VariantListModel::PrecisionRole).toString());
    };
    if (id.isEmpty()) {
        int row = variants_.indexOf(settings_.lastVariantId());
        if (row < 0 && variants_.rowCount() > 0) row = 0;
        if (row < 0) return std::nullopt;
        *canonicalId = idAt(row);
        return variants_.variantIdAt(row);
    }
    // A model's name alone picks its first variant.
    for (int row = 0; row < variants_.rowCount(); ++row) {
        const QString candidate = idAt(row);
        if (candidate.compare(id, Qt::CaseInsensitive) == 0 ||
            candidate.section('/', 0, 0).compare(id, Qt::CaseInsensitive) == 0) {
            *canonicalId = candidate;
            return variants_.variantIdAt(row);
        }
    }
    return std::nullopt;
}

void ApiServer::enqueue(HttpConnection* connection, CompletionRequest request) {
    QString modelId;
    const auto variantId = resolveModel(request.model, &modelId);
    if (!variantId) {
        respondError(connection, {404,
                                  request.model.isEmpty()
                                      ? tr("No model is installed.")
                                      : tr("The model '%1' does not exist; GET /v1/models lists them.").arg(request.model),
                                  "invalid_request_error", "model_not_found"});
        return;
    }
    if (current_ && int(queue_.size()) >= limits_.maxQueued) {
        respondError(connection, {503, tr("The server is busy: %1 requests are waiting. Try again shortly.")
                                           .arg(queue_.size()),
                                  "server_error", "server_busy"});
        return;
    }
    auto call = std::make_unique<Call>(connection, std::move(request), modelId, *variantId);
    Call* raw = call.get();
    // The call's own timer is the context, so neither fires once the call is gone.
    connect(connection, &HttpConnection::abandoned, &raw->deadline, [this, raw] { onAbandoned(raw); });
    raw->deadline.setSingleShot(true);
    connect(&raw->deadline, &QTimer::timeout, this, [this, raw] { onTimeout(raw); });
    raw->deadline.start(limits_.requestTimeoutMs);
    queue_.push_back(std::move(call));
    emit activityChanged();
    startNext();
}

void ApiServer::startNext() {
    while (!current_ && !queue_.empty()) {
        current_ = std::move(queue_.front());
        queue_.pop_front();
        const auto variant = variants_.variant(current_->variantId);
        if (!variant) {
            respondError(current_->connection, {404, tr("The model was removed."), "invalid_request_error",
                                                "model_not_found"});
            current_.reset();
            continue;
        }
        const EngineTarget target =
            EngineTarget::of(variant->id, variant->filePath, variants_.labelOf(variant->id), settings_.loadOptions());
        // The request's own values over the model's defaults, as chat samples it.
        const GenerateOptions defaults = variantDefaults(settings_, variants_, variant->id).generateOptions();
        current_->reply = engine_.generateExact(target, current_->request.prompt, current_->request.applyTo(defaults));
        EngineReply* reply = current_->reply.get();
        connect(reply, &EngineReply::piece, this, &ApiServer::onPiece);
        connect(reply, &EngineReply::finished, this, &ApiServer::onFinished);
        connect(reply, &EngineReply::failed, this, [this](const QString& message) {
            onFailed({500, message, "server_error", "generation_failed"});
        });
        // Comes before the first piece, so even a stream gets a plain 400.
        const bool completions = current_->request.route == ApiRoute::Completions;
        connect(reply, &EngineReply::rejected, this, [this, completions](const QString& message) {
            onFailed({400, message, "invalid_request_error", "context_length_exceeded",
                      completions ? "prompt" : "messages"});
        });
    }
    emit activityChanged();
}

void ApiServer::onPiece(const QString& piece) {
    Call& call = *current_;
    if (call.abandoned) return;
    call.text += piece;
    if (!call.request.stream || !call.connection) return;
    if (!call.connection->streaming()) {
        call.connection->beginEventStream();
        call.connection->sendEvent(compact(call.envelope.firstChunk()));
    }
    call.connection->sendEvent(compact(call.envelope.textChunk(piece)));
}

void ApiServer::onFinished(const GenerationStats& stats) {
    Call& call = *current_;
    if (!call.abandoned && call.connection) {
        // Saved before the answer ends, so a client holding the whole reply
        // can count on finding it in the conversation list.
        if (settings_.apiStoresConversations() && call.request.route == ApiRoute::ChatCompletions) store(call);
        const QString finish = finishReason(stats.stopReason);
        if (call.request.stream) {
            if (!call.connection->streaming()) {
                call.connection->beginEventStream();
                call.connection->sendEvent(compact(call.envelope.firstChunk()));
            }
            call.connection->sendEvent(compact(call.envelope.finalChunk(finish)));
            call.connection->sendEvent("[DONE]");
            call.connection->endEventStream();
        } else {
            call.connection->respond(200, "application/json",
                                     compact(call.envelope.response(call.text, finish, stats.promptTokens,
                                                                    stats.generatedTokens)));
        }
    }
    finishCurrent();
}

void ApiServer::onFailed(const ApiError& error) {
    Call& call = *current_;
    if (!call.abandoned && call.connection) {
        if (call.connection->streaming()) {
            call.connection->sendEvent(error.body());
            call.connection->sendEvent("[DONE]");
            call.connection->endEventStream();
        } else {
            respondError(call.connection, error);
        }
    }
    finishCurrent();
}

void ApiServer::finishCurrent() {
    // Ended, and this runs in a slot of its own signal: deleted once that returns.
    current_->reply.release()->deleteLater();
    current_.reset();
    startNext();
}

void ApiServer::onAbandoned(Call* call) {
    if (call == current_.get()) {
        call->abandoned = true;
        // Stops the engine's work at once, mid-prompt too; it reaches this request alone.
        call->reply->cancel();
        return;
    }
    std::erase_if(queue_, [call](const std::unique_ptr<Call>& queued) { return queued.get() == call; });
    emit activityChanged();
}

void ApiServer::onTimeout(Call* call) {
    const ApiError error{504, tr("The request took longer than %1 seconds.").arg(limits_.requestTimeoutMs / 1000),
                         "server_error", "timeout"};
    if (call->connection && call->connection->streaming()) {
        call->connection->sendEvent(error.body());
        call->connection->sendEvent("[DONE]");
        call->connection->endEventStream();
    } else {
        respondError(call->connection, error);
    }
    onAbandoned(call);  // the deadline stops the engine's work too, not only the reply
}

void ApiServer::store(const Call& call) const {
    try {
        const auto& messages = call.request.prompt.messages;
        QString lastUser;
        for (const ChatMessage& message : messages)
            if (message.role == "user") lastUser = QString::fromStdString(message.content);
        storage::ConversationStore conversations(db_);
        storage::MessageStore store(db_);
        // One transaction: a full disk leaves no conversation, not an empty one.
        storage::Transaction transaction(db_);
        const auto conversation =
            conversations.create(call.variantId, storage::ConversationStore::titleFromText(lastUser));
        std::optional<qint64> parent;
        for (const ChatMessage& message : messages) {
            const auto role = storage::messageRoleFromText(QString::fromStdString(message.role));
            parent = store.add(conversation.id, parent, role.value_or(storage::MessageRole::User),
                               QString::fromStdString(message.content))
                         .id;
        }
        store.add(conversation.id, parent, storage::MessageRole::Assistant, call.text, call.variantId);
        transaction.commit();
    } catch (const std::exception& e) {
        spdlog::error("API server: the conversation could not be saved: {}", e.what());
    }
}

}  // namespace nibble::app
