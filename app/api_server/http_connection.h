#pragma once
// One client connection of the API server, speaking just enough HTTP/1.1 for
// the OpenAI routes: it reads one request (bounded in size and time), then
// sends one answer, either whole or as a chunked server-sent-event stream,
// and closes. One request per connection keeps a stream's end unmistakable
// for every client and leaves no idle connections holding a slot.
//
// Why not QHttpServer: Qt 6.4.2's QHttpServer has no limit on request size
// and no read timeout, a route can only stream by keeping a
// QHttpServerResponder whose socket the server owns and deletes when the
// client leaves (nothing tells the responder), and it offers no way to see a
// client hang up mid-stream, which is what cancels a generation here.
//
// Why not QTcpSocket: it closes the whole socket as soon as it reads the
// client's end of input, so a client that sends its request and then shuts
// down its sending side (as `nc -N` and some scripts do) could never be
// answered. Reading and writing the descriptor here tells the three apart: a
// half-close (the answer is still sent), a reset or a failed write (the
// client is gone), and more input. A client that closes while its request
// is still being worked on gets an interim "100 Continue": if it is gone,
// that draws a reset, and its request is abandoned.
#include "api_server/api_error.h"
#include "api_server/http_request.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSocketNotifier>
#include <QTimer>

namespace nibble::app {

class HttpConnection : public QObject {
    Q_OBJECT

public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    struct Limits {
        qint64 maxHeaderBytes = 16 * 1024;
        qint64 maxBodyBytes = 1024 * 1024;
        int readTimeoutMs = 10'000;  // for the whole request to arrive
    };

    // Takes ownership of descriptor, a connected TCP socket; deletes itself
    // once the connection is closed.
    HttpConnection(qintptr descriptor, const Limits& limits, QObject* parent = nullptr);
    ~HttpConnection() override;

    QHostAddress peerAddress() const;
    // Headers added to every answer from now on (CORS for an allowed origin).
    void setExtraHeaders(Headers headers) { extraHeaders_ = std::move(headers); }

    // A whole answer; the connection closes once it is sent.
    void respond(int status, const QByteArray& contentType, const QByteArray& body);
    // A server-sent-event stream: headers now, then one event per sendEvent().
    void beginEventStream();
    void sendEvent(const QByteArray& data);
    void endEventStream();
    bool streaming() const { return state_ == State::Streaming; }
    // Whether the client can still be answered.
    bool open() const { return state_ == State::Reading || state_ == State::Handling || state_ == State::Streaming; }

signals:
    void requestReady(const nibble::app::HttpRequest& request);
    // The client went away before its answer was complete.
    void abandoned();

private:
    enum class State { Reading, Handling, Streaming, Closing, Closed };

    void onReadable();
    void onRequestBytes();
    void onEndOfInput();
    // False when the request is malformed or too large (answered already).
    bool parseHead(qsizetype headEnd);
    void write(const QByteArray& data);
    void flush();
    void writeChunk(const QByteArray& data);
    void fail(const ApiError& error);
    // Abandons the request if the client answered our last write with a reset.
    void checkPeer();
    // The client reset the connection or a write failed: nobody is listening.
    void onPeerGone();
    void close();

    int fd_;
    QSocketNotifier readNotifier_;
    QSocketNotifier writeNotifier_;
    Limits limits_;
    Headers extraHeaders_;
    State state_ = State::Reading;
    QByteArray buffer_;
    QByteArray output_;  // written to the socket as it accepts it
    HttpRequest request_;
    qsizetype bodyStart_ = -1;
    qint64 contentLength_ = 0;
    bool continueSent_ = false;
    bool inputEnded_ = false;   // the client shut down its sending side
    bool outputEnded_ = false;  // the answer is sent and our sending side shut down
    QTimer readTimer_;
};

// "Not Found" for 404, ...
QByteArray httpReasonPhrase(int status);

}  // namespace nibble::app
