#include "api_server/http_connection.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nibble::app {
namespace {

// Loopback answers a write to a closed socket with a reset within microseconds.
constexpr int kProbeMs = 100;

bool isDecimal(const QByteArray& text) {
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

QByteArray httpReasonPhrase(int status) {
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
    }
}

HttpConnection::HttpConnection(qintptr descriptor, const Limits& limits, QObject* parent)
    : QObject(parent),
      fd_(int(descriptor)),
      readNotifier_(descriptor, QSocketNotifier::Read),
      writeNotifier_(descriptor, QSocketNotifier::Write),
      limits_(limits) {
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    // Every stream event leaves at once instead of waiting for the next one.
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    writeNotifier_.setEnabled(false);
    connect(&readNotifier_, &QSocketNotifier::activated, this, &HttpConnection::onReadable);
    connect(&writeNotifier_, &QSocketNotifier::activated, this, &HttpConnection::flush);
    readTimer_.setSingleShot(true);
    connect(&readTimer_, &QTimer::timeout, this, [this] {
        if (state_ == State::Reading)
            fail({408, tr("The request did not arrive in time."), "invalid_request_error", "request_timeout"});
        else if (state_ == State::Closing)
            close();  // the client never closed after its answer
    });
    readTimer_.start(limits_.readTimeoutMs);
    // Input that arrived with the connection is already readable.
    QMetaObject::invokeMethod(this, &HttpConnection::onReadable, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection() {
    readNotifier_.setEnabled(false);
    writeNotifier_.setEnabled(false);
    if (fd_ >= 0) ::close(fd_);
}

QHostAddress HttpConnection::peerAddress() const {
    sockaddr_storage address{};
    socklen_t size = sizeof address;
    if (fd_ < 0 || ::getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) return {};
    return QHostAddress(reinterpret_cast<const sockaddr*>(&address));
}

void HttpConnection::onReadable() {
    char chunk[64 * 1024];
    while (fd_ >= 0 && !inputEnded_) {
        const ssize_t received = ::recv(fd_, chunk, sizeof chunk, 0);
        if (received > 0) {
            // One request per connection: anything after it is read and dropped.
            if (state_ == State::Reading) {
                buffer_.append(chunk, received);
                onRequestBytes();
            }
        } else if (received == 0) {
            onEndOfInput();
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR) {
            onPeerGone();
        }
    }
}

void HttpConnection::onRequestBytes() {
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
            write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        return;
    }
    request_.body = buffer_.mid(bodyStart_, contentLength_);
    buffer_.clear();
    readTimer_.stop();
    state_ = State::Handling;
    emit requestReady(request_);
}

void HttpConnection::onEndOfInput() {
    inputEnded_ = true;
    readNotifier_.setEnabled(false);
    switch (state_) {
    case State::Reading:
        // The client can still read an answer after shutting down its side.
        if (buffer_.isEmpty())
            close();
        else
            fail({400, tr("The request ended before it was complete."), "invalid_request_error", "bad_request"});
        break;
    case State::Handling:
        // A client that closed for good and one that only shut down its
        // sending side look alike. An interim answer, which HTTP clients must
        // accept, tells them apart: a closed socket answers it with a reset.
        write("HTTP/1.1 100 Continue\r\n\r\n");
        QTimer::singleShot(kProbeMs, this, &HttpConnection::checkPeer);
        break;
    case State::Streaming: break;  // the stream's next event finds out the same way
    case State::Closing:
        if (outputEnded_) close();
        break;
    case State::Closed: break;
    }
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
        const QByteArray name = lines[i].left(colon).trimmed().toLower();
        // Two of these could be read two ways, by us and by whatever sits
        // between us and the client, so they are refused (RFC 9112).
        if ((name == "content-length" || name == "host") && request_.headers.contains(name)) {
            fail({400, tr("The request has more than one %1 header.").arg(QString::fromLatin1(lines[i].left(colon).trimmed())),
                  "invalid_request_error", "bad_request"});
            return false;
        }
        request_.headers.insert(name, lines[i].mid(colon + 1).trimmed());
    }
    if (request_.headers.contains("transfer-encoding")) {
        fail({411, tr("Send the request body with a Content-Length."), "invalid_request_error", "length_required"});
        return false;
    }
    const QByteArray length = request_.header("content-length");
    if (request_.headers.contains("content-length") && !isDecimal(length)) {
        fail({400, tr("The Content-Length header is not a number."), "invalid_request_error", "bad_request"});
        return false;
    }
    bool ok = true;
    contentLength_ = length.isEmpty() ? 0 : length.toLongLong(&ok);
    if (!ok || contentLength_ > limits_.maxBodyBytes) {
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
    // Closing first: a write that finds the client gone must not report an
    // unanswered request from inside this answer.
    state_ = State::Closing;
    readTimer_.stop();
    write(head + "\r\n" + body);
}

void HttpConnection::beginEventStream() {
    if (state_ != State::Handling) return;
    // Chunked framing ends the stream with a zero-length chunk, so clients
    // know the answer is complete without waiting for the close.
    QByteArray head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n";
    for (const auto& [name, value] : extraHeaders_) head += name + ": " + value + "\r\n";
    state_ = State::Streaming;
    write(head + "\r\n");
}

void HttpConnection::sendEvent(const QByteArray& data) {
    if (state_ == State::Streaming) writeChunk("data: " + data + "\n\n");
}

void HttpConnection::writeChunk(const QByteArray& data) {
    write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
}

void HttpConnection::endEventStream() {
    if (state_ != State::Streaming) return;
    state_ = State::Closing;
    write("0\r\n\r\n");
}

void HttpConnection::fail(const ApiError& error) { respond(error.status, "application/json", error.body()); }

void HttpConnection::write(const QByteArray& data) {
    if (fd_ < 0) return;
    output_ += data;
    // While the write notifier is on the socket is full; it flushes when it drains.
    if (!writeNotifier_.isEnabled()) flush();
}

void HttpConnection::flush() {
    while (fd_ >= 0 && !output_.isEmpty()) {
        const ssize_t sent = ::send(fd_, output_.constData(), size_t(output_.size()), MSG_NOSIGNAL);
        if (sent >= 0) {
            output_.remove(0, sent);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            writeNotifier_.setEnabled(true);
            return;
        } else if (errno != EINTR) {
            onPeerGone();
            return;
        }
    }
    if (fd_ < 0) return;
    writeNotifier_.setEnabled(false);
    if (state_ != State::Closing || outputEnded_) return;
    // The answer is out: shut our side, then read until the client closes
    // too. Closing with its input unread would reset the connection, and
    // the client could lose the answer.
    outputEnded_ = true;
    ::shutdown(fd_, SHUT_WR);
    if (inputEnded_) {
        close();
        return;
    }
    readTimer_.start(limits_.readTimeoutMs);
}

void HttpConnection::checkPeer() {
    int error = 0;
    socklen_t size = sizeof error;
    if (fd_ >= 0 && ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) onPeerGone();
}

void HttpConnection::onPeerGone() {
    const bool unanswered = state_ == State::Handling || state_ == State::Streaming;
    close();
    if (unanswered) emit abandoned();
}

void HttpConnection::close() {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    readTimer_.stop();
    readNotifier_.setEnabled(false);
    writeNotifier_.setEnabled(false);
    ::close(fd_);
    fd_ = -1;
    deleteLater();
}

}  // namespace nibble::app
