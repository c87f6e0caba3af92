#include "api_server/api_access.h"

#include <QHostAddress>
#include <QRandomGenerator>
#include <QUrl>

#include <algorithm>
#include <array>

namespace nibble::app {
namespace {

bool isLoopbackName(const QString& host) {
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0) return true;
    QHostAddress address;
    return address.setAddress(host) && address.isLoopback();
}

bool isDecimalPort(const QByteArray& text) {
    return !text.isEmpty() && text.size() <= 5 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool isLoopbackHost(const QByteArray& host, quint16 port) {
    QByteArray name = host.trimmed();
    QByteArray portText = "80";  // HTTP's own, when the Host names none
    if (name.startsWith('[')) {
        const qsizetype close = name.indexOf(']');
        if (close < 0) return false;
        const QByteArray rest = name.mid(close + 1);
        if (!rest.isEmpty()) {
            if (!rest.startsWith(':')) return false;
            portText = rest.mid(1);
        }
        name = name.mid(1, close - 1);
    } else if (const qsizetype colon = name.lastIndexOf(':'); colon >= 0) {
        portText = name.mid(colon + 1);
        name.truncate(colon);
        if (name.contains(':')) return false;  // an IPv6 address must be bracketed
    }
    return isDecimalPort(portText) && portText.toUInt() == port && isLoopbackName(QString::fromLatin1(name));
}

QString normalizedOrigin(const QString& text) {
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != "http" && scheme != "https") || url.host().isEmpty() || !url.userInfo().isEmpty() ||
        (!url.path().isEmpty() && url.path() != "/") || url.hasQuery() || url.hasFragment())
        return {};
    const int defaultPort = scheme == "https" ? 443 : 80;
    QString host = url.host().toLower();
    if (host.contains(':')) host = '[' + host + ']';
    const int port = url.port(defaultPort);
    return scheme + "://" + host + (port == defaultPort ? QString() : ':' + QString::number(port));
}

bool isAllowedOrigin(const QByteArray& origin, quint16 port, const QStringList& allowedOrigins) {
    if (origin.isEmpty()) return true;
    const QString normalized = normalizedOrigin(QString::fromLatin1(origin));
    if (normalized.isEmpty()) return false;  // "null": a sandboxed page or a local file
    if (allowedOrigins.contains(normalized)) return true;
    const QUrl url(normalized);
    return url.scheme() == "http" && url.port(80) == port && isLoopbackName(url.host());
}

bool carriesBearerKey(const QByteArray& authorization, const QString& key) {
    const QByteArray value = authorization.trimmed();
    const qsizetype space = value.indexOf(' ');
    if (key.isEmpty() || space < 0 || value.left(space).toLower() != "bearer") return false;
    const QByteArray token = value.mid(space + 1).trimmed();
    const QByteArray expected = key.toUtf8();
    if (token.size() != expected.size()) return false;
    // Every byte compared, so the time taken tells nothing about the key.
    char difference = 0;
    for (qsizetype i = 0; i < token.size(); ++i) difference |= char(token[i] ^ expected[i]);
    return difference == 0;
}

bool isJsonContentType(const QByteArray& contentType) {
    const qsizetype semicolon = contentType.indexOf(';');
    const QByteArray type = semicolon < 0 ? contentType : contentType.left(semicolon);
    return type.trimmed().toLower() == "application/json";
}

QString newApiKey() {
    std::array<quint32, 8> words;
    QRandomGenerator::system()->fillRange(words.data(), words.size());
    const QByteArray bytes(reinterpret_cast<const char*>(words.data()), qsizetype(sizeof words));
    return "nb-" + QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

}  // namespace nibble::app
