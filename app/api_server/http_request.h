#pragma once
// One HTTP request as the API server received it.
#include <QByteArray>
#include <QHash>

namespace nibble::app {

struct HttpRequest {
    QByteArray method;  // "GET", "POST", ...
    QByteArray path;    // without the query string
    QHash<QByteArray, QByteArray> headers;  // names in lower case
    QByteArray body;

    QByteArray header(const QByteArray& lowerCaseName) const { return headers.value(lowerCaseName); }
};

}  // namespace nibble::app
