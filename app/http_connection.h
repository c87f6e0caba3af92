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
#include "api_error.h"
#include "http_request.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QTimer>

class QTcpSocket;

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

    // Takes ownership of socket; deletes itself once the connection is closed.
    HttpConnection(QTcpSocket* socket, const Limits& limits, Headers extraHeaders, QObject* parent = nullptr);

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

    void onReadyRead();
    // False when the request is malformed or too large (answered already).
    bool parseHead(qsizetype headEnd);
    void writeChunk(const QByteArray& data);
    void fail(const ApiError& error);
    void closeAfterWrite();
    void onDisconnected();

    QTcpSocket* socket_;
    Limits limits_;
    Headers extraHeaders_;
    State state_ = State::Reading;
    QByteArray buffer_;
    HttpRequest request_;
    qsizetype bodyStart_ = -1;
    qint64 contentLength_ = 0;
    bool continueSent_ = false;
    // Body bytes still to read and drop after an early error answer: closing
    // with unread input resets the connection, and the client would lose the answer.
    qint64 toDiscard_ = 0;
    QTimer readTimer_;
};

// "Not Found" for 404, ...
QByteArray httpReasonPhrase(int status);

}  // namespace nibble::app
