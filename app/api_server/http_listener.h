#pragma once
// The API server's listening socket: a QTcpServer that hands each accepted
// connection over as its descriptor, for an HttpConnection to read and write
// itself (http_connection.h says why).
#include <QTcpServer>

#include <functional>

namespace nibble::app {

class HttpListener : public QTcpServer {
public:
    explicit HttpListener(std::function<void(qintptr)> onAccepted) : onAccepted_(std::move(onAccepted)) {}

protected:
    void incomingConnection(qintptr descriptor) override { onAccepted_(descriptor); }

private:
    std::function<void(qintptr)> onAccepted_;
};

}  // namespace nibble::app
