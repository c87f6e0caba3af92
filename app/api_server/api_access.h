#pragma once
// Who may use the local API server. Listening on 127.0.0.1 keeps other
// computers out, but not the web pages the user's browser has open: one can
// reach the server through DNS rebinding (its own name made to resolve to
// 127.0.0.1, so only the Host header tells it apart) or with a cross-site
// POST (which carries the page's Origin, and may say text/plain to skip the
// browser's preflight). So a request must name this computer and the
// server's port as its Host, come from no web page or one the user allowed,
// say it is JSON, and carry the key.
#include <QByteArray>
#include <QString>
#include <QStringList>

namespace nibble::app {

// Whether a Host header names this computer (localhost, 127.x.x.x, [::1]) and port.
bool isLoopbackHost(const QByteArray& host, quint16 port);
// Whether a request with this Origin header may be served: one without
// (programs other than browsers send none), from a page this server itself
// serves, or from an origin the user allowed.
bool isAllowedOrigin(const QByteArray& origin, quint16 port, const QStringList& allowedOrigins);
// An origin in the form browsers send it ("https://example.com:8443": lower
// case, no default port, no path); empty when text is not an http(s) origin.
QString normalizedOrigin(const QString& text);
// Whether an Authorization header carries key as its bearer token (the
// scheme's name in any case); false for an empty key.
bool carriesBearerKey(const QByteArray& authorization, const QString& key);
// Whether a Content-Type header says JSON (parameters such as charset allowed).
bool isJsonContentType(const QByteArray& contentType);
// A fresh key: "nb-" then 32 bytes from the system's secure generator, base64url.
QString newApiKey();

}  // namespace nibble::app
