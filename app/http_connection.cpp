#include "http_connection.h"

#include <QTcpSocket>

namespace nibble::app {

QByteArray httpReasonPhrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

HttpConnection::HttpConnection(QTcpSocket* socket, const Limits& limits, Headers extraHeaders, QObject* parent)
    : QObject(parent), socket_(socket), limits_(limits), extraHeaders_(std::move(extraHeaders)) {
    socket_->setParent(this);
    connect(socket_, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(socket_, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    readTimer_.setSingleShot(true);
    connect(&readTimer_, &QTimer::timeout, this, [this] {
        if (state_ == State::Reading)
            fail({408, tr("The request did not arrive in time."), "invalid_request_error", "request_timeout"});
    });
    readTimer_.start(limits_.readTimeoutMs);
    if (socket_->bytesAvailable() > 0) QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

void HttpConnection::onReadyRead() {
    if (state_ != State::Reading) {
        // One request per connection: anything after it is not read, but a
        // client closing its side still has to be noticed.
        const qint64 dropped = socket_->readAll().size();
        if (toDiscard_ > 0 && (toDiscard_ -= dropped) <= 0) socket_->disconnectFromHost();
        return;
    }
    buffer_ += socket_->readAll();
    if (bodyStart_ < 0) {
        const qsizetype headEnd = buffer_.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            if (buffer_.size() > limits_.maxHeaderBytes)
                fail({431, tr("The request headers are too large."), "invalid_request_error", "headers_too_large"});
            return;
        }
        if (headEnd > limits_.maxHeaderBytes) {
            fail({431, tr("The request headers are too large."), "invalid_request_error", "headers_too_large"});
            return;
        }
        bodyStart_ = headEnd + 4;
        if (!parseHead(headEnd)) return;
    }
    if (buffer_.size() - bodyStart_ < contentLength_) {
        // curl and others wait for this before sending a large body.
        if (!continueSent_ && request_.header("expect").toLower() == "100-continue") {
            continueSent_ = true;
            socket_->write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return;
    }
    request_.body = buffer_.mid(bodyStart_, contentLength_);
    buffer_.clear();
    readTimer_.stop();
    state_ = State::Handling;
    emit requestReady(request_);
}

bool HttpConnection::parseHead(qsizetype headEnd) {
    const QList<QByteArray> lines = buffer_.left(headEnd).split('\n');
    const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.")) {
        fail({400, tr("The request is not HTTP/1.1."), "invalid_request_error", "bad_request"});
        return false;
    }
    request_.method = requestLine[0];
    QByteArray target = requestLine[1];
    if (const qsizetype query = target.indexOf('?'); query >= 0) target.truncate(query);
    request_.path = target;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0) continue;
        request_.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
    }
    if (request_.header("transfer-encoding").toLower().contains("chunked")) {
        fail({411, tr("Send the request body with a Content-Length."), "invalid_request_error", "length_required"});
        return false;
    }
    bool ok = true;
    const QByteArray length = request_.header("content-length");
    contentLength_ = length.isEmpty() ? 0 : length.toLongLong(&ok);
    if (!ok || contentLength_ < 0) {
        fail({400, tr("The Content-Length header is not a number."), "invalid_request_error", "bad_request"});
        return false;
    }
    if (contentLength_ > limits_.maxBodyBytes) {
        fail({413, tr("The request is larger than %1 bytes.").arg(limits_.maxBodyBytes), "invalid_request_error",
              "request_too_large"});
        return false;
    }
    return true;
}

void HttpConnection::respond(int status, const QByteArray& contentType, const QByteArray& body) {
    if (!open() || state_ == State::Streaming) return;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + httpReasonPhrase(status) + "\r\n";
    if (!contentType.isEmpty()) head += "Content-Type: " + contentType + "\r\n";
    head += "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n";
    for (const auto& [name, value] : extraHeaders_) head += name + ": " + value + "\r\n";
    socket_->write(head + "\r\n" + body);
    closeAfterWrite();
}

void HttpConnection::beginEventStream() {
    if (state_ != State::Handling) return;
    // Chunked framing ends the stream with a zero-length chunk, so clients
    // know the answer is complete without waiting for the close.
    QByteArray head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n";
    for (const auto& [name, value] : extraHeaders_) head += name + ": " + value + "\r\n";
    socket_->write(head + "\r\n");
    state_ = State::Streaming;
}

void HttpConnection::sendEvent(const QByteArray& data) {
    if (state_ == State::Streaming) writeChunk("data: " + data + "\n\n");
}

void HttpConnection::writeChunk(const QByteArray& data) {
    socket_->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
}

void HttpConnection::endEventStream() {
    if (state_ != State::Streaming) return;
    socket_->write("0\r\n\r\n");
    closeAfterWrite();
}

void HttpConnection::fail(const ApiError& error) {
    const bool bodyComing = state_ == State::Reading && contentLength_ > 0;
    const qint64 unread = bodyComing ? contentLength_ - (buffer_.size() - qMax<qsizetype>(bodyStart_, 0)) : 0;
    if (unread <= 0 || unread > 64 * limits_.maxBodyBytes) {
        respond(error.status, "application/json", error.body());
        return;
    }
    toDiscard_ = unread;
    respond(error.status, "application/json", error.body());
}

void HttpConnection::closeAfterWrite() {
    state_ = State::Closing;
    readTimer_.stop();
    if (toDiscard_ > 0) {
        // Bounded: a client that stops sending is closed on anyway.
        QTimer::singleShot(limits_.readTimeoutMs, socket_, [socket = socket_] { socket->disconnectFromHost(); });
        return;
    }
    // disconnectFromHost() sends what is still buffered before closing.
    socket_->disconnectFromHost();
}

void HttpConnection::onDisconnected() {
    const bool unanswered = state_ == State::Handling || state_ == State::Streaming;
    state_ = State::Closed;
    readTimer_.stop();
    if (unanswered) emit abandoned();
    deleteLater();
}

}  // namespace nibble::app
