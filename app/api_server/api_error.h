#pragma once
// An API request that cannot be served, as an HTTP status and the error body
// OpenAI clients parse: {"error":{"message":..,"type":..,"param":..,"code":..}}.
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

namespace nibble::app {

struct ApiError {
    ApiError() = default;
    ApiError(int status, QString message, QString type, QString code, QString param = {})
        : status(status), message(std::move(message)), type(std::move(type)), code(std::move(code)),
          param(std::move(param)) {}

    int status = 400;
    QString message;
    QString type = QStringLiteral("invalid_request_error");
    QString code;
    QString param;  // the request field at fault, if one is

    QJsonObject toJson() const {
        return {{"error", QJsonObject{{"message", message},
                                      {"type", type},
                                      {"param", param.isEmpty() ? QJsonValue() : QJsonValue(param)},
                                      {"code", code.isEmpty() ? QJsonValue() : QJsonValue(code)}}}};
    }
    QByteArray body() const { return QJsonDocument(toJson()).toJson(QJsonDocument::Compact); }
};

}  // namespace nibble::app
