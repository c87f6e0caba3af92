#pragma once
// A small HTTP/1.1 file server on 127.0.0.1 for download tests: serves one
// file at any path, answers "Range: bytes=N-" with 206 and Content-Range,
// and can misbehave on request: drop the connection after some bytes of the
// next response (or of every one), serve damaged content or a web page,
// trickle the body out slowly, stall after the headers, ignore Range, answer
// a Range with the wrong part, or answer 206 without Content-Range.
// It records every request's Range and Authorization headers.
#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace nibble::test {

class RangeHttpServer : public QObject {
public:
    explicit RangeHttpServer(QByteArray content) : content_(std::move(content)) {
        connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = server_.nextPendingConnection()) accept(socket);
        });
    }

    bool listen() { return server_.listen(QHostAddress::LocalHost); }
    QUrl url(const QString& fileName) const {
        return QUrl(QStringLiteral("http://127.0.0.1:%1/files/%2").arg(server_.serverPort()).arg(fileName));
    }

    // The next response stops after this many body bytes and the connection closes.
    void dropNextResponseAfter(qint64 bytes) { dropAfter_ = bytes; }
    // Every response carries content with one byte changed.
    void serveDamagedContent(bool damaged) { damaged_ = damaged; }
    // Every response stops after this many body bytes; -1: none does.
    void dropEveryResponseAfter(qint64 bytes) { dropEveryAfter_ = bytes; }
    // Sends the body in pieces of this size, one every intervalMs.
    void trickle(int pieceBytes, int intervalMs) {
        pieceBytes_ = pieceBytes;
        intervalMs_ = intervalMs;
    }
    // Sends the headers, then nothing, keeping the connection open.
    void stallAfterHeaders(bool stall) { stall_ = stall; }
    // Answers 200 with this body (a web page, say) instead of the file.
    void serveInstead(QByteArray body) { instead_ = std::move(body); }
    // Answers every request with the whole file, Range or not.
    void ignoreRange(bool ignore) { ignoreRange_ = ignore; }
    // Answers a Range request with 206 and the file from its start.
    void answerRangeFromStart(bool fromStart) { rangeFromStart_ = fromStart; }
    // Answers every request with 206 and no Content-Range header.
    void omitContentRange(bool omit) { omitContentRange_ = omit; }

    // The Range header of every request so far, empty for none.
    const QList<QByteArray>& rangeHeaders() const { return ranges_; }
    // The Authorization header of every request so far, empty for none.
    const QList<QByteArray>& authorizationHeaders() const { return authorizations_; }
    // Body bytes written to clients so far.
    qint64 bytesServed() const { return served_; }

private:
    // Lives as long as its socket (a child of it).
    struct Connection : QObject {
        explicit Connection(QTcpSocket* s) : QObject(s), socket(s) {}
        QTcpSocket* socket;
        QByteArray request;
        QByteArray body;
        bool answered = false;
        qint64 sent = 0;
        QTimer timer;
    };

    void accept(QTcpSocket* socket) {
        auto* connection = new Connection(socket);
        connect(socket, &QTcpSocket::readyRead, connection, [this, connection] {
            if (connection->answered) return;
            connection->request += connection->socket->readAll();
            if (connection->request.contains("\r\n\r\n")) respond(connection);
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }

    void respond(Connection* connection) {
        connection->answered = true;
        QByteArray range;
        QByteArray authorization;
        for (const QByteArray& line : connection->request.split('\n')) {
            if (line.toLower().startsWith("range:")) range = line.mid(6).trimmed();
            if (line.toLower().startsWith("authorization:")) authorization = line.mid(14).trimmed();
        }
        ranges_.append(range);
        authorizations_.append(authorization);

        QByteArray served = instead_.isEmpty() ? content_ : instead_;
        if (damaged_) served[served.size() / 2] = char(served.at(served.size() / 2) ^ 0x5a);
        const qint64 total = served.size();
        qint64 start = 0;
        QByteArray head;
        if (omitContentRange_) {
            head = "HTTP/1.1 206 Partial Content\r\n";
        } else if (rangeFromStart_ && range.startsWith("bytes=")) {
            head = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-" + QByteArray::number(total - 1) + '/' +
                   QByteArray::number(total) + "\r\n";
        } else if (range.startsWith("bytes=") && range.endsWith('-') && !ignoreRange_ && instead_.isEmpty()) {
            start = range.mid(6, range.size() - 7).toLongLong();
            if (start >= total) {
                head = "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" + QByteArray::number(total) +
                       "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                connection->socket->write(head);
                connection->socket->disconnectFromHost();
                return;
            }
            head = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + QByteArray::number(start) + '-' +
                   QByteArray::number(total - 1) + '/' + QByteArray::number(total) + "\r\n";
        } else {
            head = "HTTP/1.1 200 OK\r\n";
        }
        connection->body = served.mid(start);
        head +=
            "Content-Type: application/octet-stream\r\nContent-Length: " + QByteArray::number(connection->body.size()) +
            "\r\nConnection: close\r\n\r\n";
        if (dropAfter_ >= 0) {
            connection->body.truncate(dropAfter_);
            dropAfter_ = -1;
        } else if (dropEveryAfter_ >= 0) {
            connection->body.truncate(dropEveryAfter_);
        }
        connection->socket->write(head);
        if (stall_) return;
        if (pieceBytes_ <= 0) {
            served_ += connection->body.size();
            connection->socket->write(connection->body);
            connection->socket->disconnectFromHost();
            return;
        }
        connect(&connection->timer, &QTimer::timeout, connection, [this, connection, piece = pieceBytes_] {
            if (connection->socket->state() != QAbstractSocket::ConnectedState) {
                connection->timer.stop();
                return;
            }
            const QByteArray next = connection->body.mid(connection->sent, piece);
            connection->socket->write(next);
            connection->sent += next.size();
            served_ += next.size();
            if (connection->sent >= connection->body.size()) {
                connection->timer.stop();
                connection->socket->disconnectFromHost();
            }
        });
        connection->timer.start(intervalMs_);
    }

    QTcpServer server_;
    QByteArray content_;
    qint64 dropAfter_ = -1;
    qint64 dropEveryAfter_ = -1;
    bool damaged_ = false;
    bool stall_ = false;
    QByteArray instead_;
    bool ignoreRange_ = false;
    bool rangeFromStart_ = false;
    bool omitContentRange_ = false;
    int pieceBytes_ = 0;
    int intervalMs_ = 0;
    QList<QByteArray> ranges_;
    QList<QByteArray> authorizations_;
    qint64 served_ = 0;
};

}  // namespace nibble::test
