#pragma once
// A stand-in for the Hugging Face Hub on 127.0.0.1, for tests that cannot
// reach the real one. It answers the endpoints Nibble uses with the JSON
// shapes the Hub documents:
//   GET /api/models?search=&filter=gguf&sort=&direction=-1&limit=&full=true
//   GET /api/models/{owner}/{name}?blobs=true   (siblings with size and lfs.sha256)
//   GET /{owner}/{name}/resolve/main/{file}     (302 to a second local host, the "CDN")
// Each file's bytes come from its own RangeHttpServer (Range, dropped
// connections, damaged content), as the Hub's LFS files come from its CDN.
// A gated repository's files answer 401 without a token and 403 with a wrong
// one, as the Hub's do; the API can answer 429 with Retry-After on request,
// and a repository's files can redirect to themselves for ever.
// It records every request's path and Authorization header.
#include "range_http_server.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>

#include <memory>

namespace nibble::test {

class HubStandIn : public QObject {
public:
    struct Request {
        QByteArray path;  // with the query
        QByteArray authorization;
    };

    struct File {
        QString path;
        qint64 size = 0;
        QString sha256;
        // Serves the bytes; null for a file that is only listed.
        std::shared_ptr<RangeHttpServer> cdn;
    };

    struct Repo {
        QString id;
        qint64 downloads = 0;
        qint64 likes = 0;
        QString lastModified;
        QString license;
        QStringList tags;
        bool gated = false;
        qint64 parameters = 0;
        QString architecture;
        QList<File> files;
        QByteArray rawInfo;         // served instead of the JSON, when set
        bool redirectLoop = false;  // its files redirect to themselves
    };

    static constexpr const char* kGoodToken = "hf_stand_in_good_token";

    HubStandIn() {
        connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* socket = server_.nextPendingConnection()) accept(socket);
        });
    }

    bool listen() { return server_.listen(QHostAddress::LocalHost); }
    QUrl baseUrl() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server_.serverPort())); }

    void addRepo(Repo repo) { repos_.insert(repo.id, std::move(repo)); }
    // A file whose bytes are content, served from its own local "CDN" host.
    static File servedFile(const QString& path, const QByteArray& content) {
        auto cdn = std::make_shared<RangeHttpServer>(content);
        if (!cdn->listen()) return {};
        return {path, content.size(),
                QString::fromLatin1(QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex()), cdn};
    }

    // The next `count` API calls answer 429 with this Retry-After.
    void rateLimit(int count, int retryAfterSeconds) {
        rateLimited_ = count;
        retryAfter_ = retryAfterSeconds;
    }

    const QList<Request>& requests() const { return requests_; }

private:
    void accept(QTcpSocket* socket) {
        connect(socket, &QTcpSocket::readyRead, socket, [this, socket] {
            if (socket->property("answered").toBool()) return;
            const QByteArray request = socket->property("request").toByteArray() + socket->readAll();
            socket->setProperty("request", request);
            if (!request.contains("\r\n\r\n")) return;
            socket->setProperty("answered", true);
            respond(socket, request);
        });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }

    static void send(QTcpSocket* socket, const QByteArray& status, const QByteArray& body,
                     const QByteArray& headers = {}) {
        socket->write("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                      QByteArray::number(body.size()) + "\r\n" + headers + "Connection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

    void respond(QTcpSocket* socket, const QByteArray& request) {
        const QList<QByteArray> lines = request.split('\n');
        const QByteArray target = lines.first().split(' ').value(1);
        Request seen{target, {}};
        for (const QByteArray& line : lines)
            if (line.toLower().startsWith("authorization:")) seen.authorization = line.mid(14).trimmed();
        requests_.append(seen);

        const QUrl url(QString::fromUtf8(target));
        const QString path = url.path();
        if (path.startsWith(QLatin1String("/api/")) && rateLimited_ > 0) {
            --rateLimited_;
            send(socket, "429 Too Many Requests", R"({"error":"You are rate limited"})",
                 "Retry-After: " + QByteArray::number(retryAfter_) + "\r\n");
            return;
        }
        if (path == QLatin1String("/api/models")) return send(socket, "200 OK", search(QUrlQuery(url)));
        if (path.startsWith(QLatin1String("/api/models/"))) {
            const auto it = repos_.constFind(path.mid(12));
            if (it == repos_.cend()) return send(socket, "404 Not Found", R"({"error":"Repository not found"})");
            return send(socket, "200 OK", it->rawInfo.isEmpty() ? info(*it) : it->rawInfo);
        }
        // /{owner}/{name}/resolve/main/{file}
        const QStringList parts = path.mid(1).split('/');
        if (parts.size() >= 5 && parts.at(2) == QLatin1String("resolve")) {
            const auto repo = repos_.constFind(parts.at(0) + '/' + parts.at(1));
            const QString filePath = parts.mid(4).join('/');
            if (repo != repos_.cend() && repo->gated && seen.authorization.isEmpty())
                return send(socket, "401 Unauthorized", R"({"error":"Access to model is restricted."})");
            if (repo != repos_.cend() && repo->gated && seen.authorization != QByteArray("Bearer ") + kGoodToken)
                return send(socket, "403 Forbidden", R"({"error":"Access to model is restricted."})");
            if (repo != repos_.cend() && repo->redirectLoop)
                return send(socket, "302 Found", {}, "Location: " + target + "\r\n");
            if (repo != repos_.cend())
                for (const File& file : repo->files)
                    if (file.path == filePath && file.cdn)
                        return send(socket, "302 Found", {},
                                    "Location: " + file.cdn->url(filePath.section('/', -1)).toEncoded() +
                                        "\r\nX-Linked-Size: " + QByteArray::number(file.size) +
                                        "\r\nX-Linked-Etag: \"" + file.sha256.toLatin1() + "\"\r\n");
        }
        send(socket, "404 Not Found", R"({"error":"Entry not found"})");
    }

    QJsonObject summary(const Repo& repo) const {
        QJsonArray siblings;
        for (const File& file : repo.files) siblings.append(QJsonObject{{"rfilename", file.path}});
        QJsonArray tags{"gguf"};
        for (const QString& tag : repo.tags) tags.append(tag);
        if (!repo.license.isEmpty()) tags.append("license:" + repo.license);
        QJsonObject object{{"_id", QString::number(qHash(repo.id), 16)},
                           {"id", repo.id},
                           {"modelId", repo.id},
                           {"author", repo.id.section('/', 0, 0)},
                           {"downloads", repo.downloads},
                           {"likes", repo.likes},
                           {"lastModified", repo.lastModified},
                           {"private", false},
                           {"gated", repo.gated ? QJsonValue("manual") : QJsonValue(false)},
                           {"pipeline_tag", "text-generation"},
                           {"library_name", "gguf"},
                           {"tags", tags},
                           {"siblings", siblings}};
        if (repo.parameters > 0)
            object.insert("gguf", QJsonObject{{"total", repo.parameters}, {"architecture", repo.architecture}});
        return object;
    }

    QByteArray search(const QUrlQuery& query) const {
        QList<Repo> found;
        const QString text = query.queryItemValue("search");
        for (const Repo& repo : repos_)
            if (repo.id.contains(text, Qt::CaseInsensitive) && query.queryItemValue("filter") == QLatin1String("gguf"))
                found.append(repo);
        const QString sort = query.queryItemValue("sort");
        std::sort(found.begin(), found.end(), [&sort](const Repo& a, const Repo& b) {
            if (sort == QLatin1String("likes")) return a.likes > b.likes;
            if (sort == QLatin1String("lastModified")) return a.lastModified > b.lastModified;
            return a.downloads > b.downloads;
        });
        const int limit = query.queryItemValue("limit").toInt();
        QJsonArray array;
        for (const Repo& repo : found.mid(0, limit > 0 ? limit : found.size())) array.append(summary(repo));
        return QJsonDocument(array).toJson(QJsonDocument::Compact);
    }

    QByteArray info(const Repo& repo) const {
        QJsonObject object = summary(repo);
        QJsonArray siblings{QJsonObject{{"rfilename", "README.md"}, {"size", 1234}, {"blobId", "0123abcd"}}};
        for (const File& file : repo.files)
            siblings.append(
                QJsonObject{{"rfilename", file.path},
                            {"size", file.size},
                            {"blobId", file.sha256.left(40)},
                            {"lfs", QJsonObject{{"sha256", file.sha256}, {"size", file.size}, {"pointerSize", 135}}}});
        object.insert("siblings", siblings);
        object.insert("cardData", QJsonObject{{"license", repo.license}});
        return QJsonDocument(object).toJson(QJsonDocument::Compact);
    }

    QTcpServer server_;
    QMap<QString, Repo> repos_;
    int rateLimited_ = 0;
    int retryAfter_ = 1;
    QList<Request> requests_;
};

}  // namespace nibble::test
