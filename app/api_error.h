#pragma once
// An API request that cannot be served, as an HTTP status and the error body
// OpenAI clients parse: {"error":{"message":..,"type":..,"code":..}}.
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace nibble::app {

struct ApiError {
    int status = 400;
    QString message;
    QString type = QStringLiteral("invalid_request_error");
    QString code;

    QJsonObject toJson() const {
        return {{"error", QJsonObject{{"message", message},
                                      {"type", type},
                                      {"code", code.isEmpty() ? QJsonValue() : QJsonValue(code)}}}};
    }
    QByteArray body() const { return QJsonDocument(toJson()).toJson(QJsonDocument::Compact); }
};

}  // namespace nibble::app
