#include "downloads/hub_client.h"

#include "library/model_kind.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>

namespace nibble::app {
namespace {

// Redirects a Hub answer may take (the Hub sends renamed repositories and
// file downloads elsewhere); more means something is wrong.
constexpr int kMaxRedirects = 5;
constexpr int kTransferTimeoutMs = 30000;

const QRegularExpression& splitPattern() {
    static const QRegularExpression pattern(QStringLiteral("^(.*)-(\\d{5})-of-(\\d{5})\\.gguf$"),
                                            QRegularExpression::CaseInsensitiveOption);
    return pattern;
}

QString sortKey(HubSort sort) {
    switch (sort) {
        case HubSort::Likes: return QStringLiteral("likes");
        case HubSort::LastModified: return QStringLiteral("lastModified");
        case HubSort::Downloads: break;
    }
    return QStringLiteral("downloads");
}

// The card's licence ("license" in its metadata, a string or a list), else
// the "license:..." tag the Hub derives from it.
QString licenseOf(const QJsonObject& model) {
    const QJsonValue card = model.value("cardData").toObject().value("license");
    if (card.isString()) return card.toString();
    if (card.isArray() && !card.toArray().isEmpty()) return card.toArray().first().toString();
    for (const QJsonValue& tag : model.value("tags").toArray())
        if (tag.toString().startsWith(QLatin1String("license:"))) return tag.toString().mid(8);
    return {};
}

// Chat models are tagged "conversational" by the Hub, and named so by
// convention ("-Instruct", "-it", "-chat"); base models are neither.
bool isInstruct(const QJsonObject& model, const QString& repo) {
    for (const QJsonValue& tag : model.value("tags").toArray())
        if (tag.toString() == QLatin1String("conversational")) return true;
    return nameSaysInstruct(repo);
}

HubModel parseModel(const QJsonObject& object) {
    HubModel model;
    model.repo = object.value("id").toString();
    model.author = object.value("author").toString();
    if (model.author.isEmpty()) model.author = model.repo.section('/', 0, 0);
    model.downloads = object.value("downloads").toInteger();
    model.likes = object.value("likes").toInteger();
    model.lastModified = QDateTime::fromString(object.value("lastModified").toString(), Qt::ISODateWithMs);
    model.license = licenseOf(object);
    model.instruct = isInstruct(object, model.repo);
    const QJsonObject gguf = object.value("gguf").toObject();
    model.parameters = gguf.value("total").toInteger();
    if (model.parameters == 0) model.parameters = object.value("safetensors").toObject().value("total").toInteger();
    model.architecture = gguf.value("architecture").toString();
    // false, or "auto"/"manual" for the way access is granted.
    const QJsonValue gated = object.value("gated");
    model.gated = gated.isString() ? !gated.toString().isEmpty() : gated.toBool();
    return model;
}

struct Part {
    QString path;
    qint64 size = 0;
    QString sha256;
};

// The repository's GGUF files from its "siblings" (with blobs=true each
// carries its size and, for LFS files, lfs.sha256), split files grouped.
QList<HubFile> parseFiles(const QJsonArray& siblings) {
    QList<HubFile> files;
    QMap<QString, QMap<int, Part>> splits;  // "<prefix>|<total>" -> parts by number
    for (const QJsonValue& value : siblings) {
        const QJsonObject sibling = value.toObject();
        const QString path = sibling.value("rfilename").toString();
        if (!path.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive)) continue;
        const QJsonObject lfs = sibling.value("lfs").toObject();
        Part part{path, lfs.value("size").toInteger(sibling.value("size").toInteger()),
                  lfs.value("sha256").toString(lfs.value("oid").toString()).toLower()};
        const auto split = splitPattern().match(path);
        if (split.hasMatch()) {
            splits[split.captured(1) + '|' + split.captured(3)].insert(split.captured(2).toInt(), part);
            continue;
        }
        HubFile file;
        file.fileName = path;
        file.parts = {path};
        file.partSizes = {part.size};
        file.partSha256 = {part.sha256};
        file.sizeBytes = part.size;
        file.quantization = quantizationFromFileName(path);
        files.append(file);
    }
    for (auto it = splits.cbegin(); it != splits.cend(); ++it) {
        const int total = it.key().section('|', -1).toInt();
        const QList<int> numbers = it.value().keys();
        // A model with parts missing cannot be loaded: leave it out.
        if (numbers.size() != total || numbers.first() != 1 || numbers.last() != total) continue;
        HubFile file;
        for (const Part& part : it.value()) {
            file.parts.append(part.path);
            file.partSizes.append(part.size);
            file.partSha256.append(part.sha256);
            file.sizeBytes += part.size;
        }
        file.fileName = file.parts.first();
        file.quantization = quantizationFromFileName(file.fileName);
        files.append(file);
    }
    std::sort(files.begin(), files.end(), [](const HubFile& a, const HubFile& b) {
        return a.fileName.compare(b.fileName, Qt::CaseInsensitive) < 0;
    });
    return files;
}

// Retry-After in seconds or as an HTTP date.
std::chrono::milliseconds retryAfter(const QNetworkReply& reply) {
    const QByteArray value = reply.rawHeader("Retry-After").trimmed();
    bool number = false;
    const qint64 seconds = value.toLongLong(&number);
    if (number) return std::chrono::seconds(std::max<qint64>(seconds, 0));
    const QDateTime when = QDateTime::fromString(QString::fromLatin1(value), Qt::RFC2822Date);
    if (when.isValid())
        return std::chrono::milliseconds(std::max<qint64>(QDateTime::currentDateTimeUtc().msecsTo(when), 0));
    return std::chrono::seconds(1);
}

}  // namespace

QString quantizationFromFileName(const QString& fileName) {
    QString stem = fileName.section('/', -1);
    if (const auto split = splitPattern().match(stem); split.hasMatch())
        stem = split.captured(1);
    else if (stem.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive))
        stem.chop(5);
    static const QRegularExpression type(
        QStringLiteral("(?:^|[-_.])(I?Q\\d+(?:_[A-Z0-9]+)*|TQ\\d_\\d|BF16|F16|FP16|F32|MXFP4)(?=$|[-_.])"),
        QRegularExpression::CaseInsensitiveOption);
    QString found;
    for (auto it = type.globalMatch(stem); it.hasNext();) found = it.next().captured(1);
    return found.toUpper();
}

HubClient::HubClient(QNetworkAccessManager& network, QObject* parent) : QObject(parent), network_(network) {}

QString HubClient::gatedMessage() {
    return tr("This model is gated: accept its licence on huggingface.co and add an access token in Settings.");
}

QUrl HubClient::fileUrl(const QString& repo, const QString& fileName) const {
    QUrl url = baseUrl_;
    url.setPath(url.path() + QStringLiteral("/%1/resolve/main/%2").arg(repo, fileName));
    return url;
}

void HubClient::searchModels(const QString& query, HubSort sort, int limit,
                             std::function<void(HubResult<QList<HubModel>>)> done) {
    QUrl url = baseUrl_;
    url.setPath(url.path() + QStringLiteral("/api/models"));
    QUrlQuery params;
    // QUrlQuery leaves '+' alone, which servers read as a space.
    params.addQueryItem("search", query.trimmed().replace(QLatin1Char('+'), QLatin1String("%2B")));
    params.addQueryItem("filter", "gguf");
    params.addQueryItem("sort", sortKey(sort));
    params.addQueryItem("direction", "-1");
    params.addQueryItem("limit", QString::number(std::clamp(limit, 1, 100)));
    params.addQueryItem("full", "true");
    url.setQuery(params);
    get(url, [this, done = std::move(done)](HubResult<QByteArray> answer) {
        if (!answer.value) return done({std::nullopt, answer.error});
        const QJsonDocument json = QJsonDocument::fromJson(*answer.value);
        if (!json.isArray())
            return done({std::nullopt, tr("Hugging Face sent a search result Nibble does not understand.")});
        QList<HubModel> models;
        for (const QJsonValue& value : json.array()) {
            HubModel model = parseModel(value.toObject());
            if (!model.repo.isEmpty()) models.append(model);
        }
        done({models, {}});
    });
}

void HubClient::listFiles(const QString& repo, std::function<void(HubResult<HubModelFiles>)> done) {
    QUrl url = baseUrl_;
    url.setPath(url.path() + QStringLiteral("/api/models/%1").arg(repo));
    url.setQuery(QStringLiteral("blobs=true"));
    get(url, [this, repo, done = std::move(done)](HubResult<QByteArray> answer) {
        if (!answer.value) return done({std::nullopt, answer.error});
        const QJsonDocument json = QJsonDocument::fromJson(*answer.value);
        if (!json.isObject() || !json.object().value("siblings").isArray())
            return done(
                {std::nullopt, tr("Hugging Face sent a file list for %1 that Nibble does not understand.").arg(repo)});
        HubModelFiles result{parseModel(json.object()), parseFiles(json.object().value("siblings").toArray())};
        done({result, {}});
    });
}

void HubClient::get(const QUrl& url, std::function<void(HubResult<QByteArray>)> done, bool retried) {
    QNetworkRequest request(url);
    // The token must not travel to another host: with one, only the Hub's own redirects are followed.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, accessToken_.isEmpty()
                                                                       ? QNetworkRequest::NoLessSafeRedirectPolicy
                                                                       : QNetworkRequest::SameOriginRedirectPolicy);
    request.setMaximumRedirectsAllowed(kMaxRedirects);
    request.setTransferTimeout(kTransferTimeoutMs);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Nibble"));
    request.setRawHeader("Accept", "application/json");
    if (!accessToken_.isEmpty()) request.setRawHeader("Authorization", "Bearer " + accessToken_.toUtf8());
    QNetworkReply* reply = network_.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, url, retried, done = std::move(done)]() mutable {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 429 && !retried) {
            const auto delay = std::min(retryAfter(*reply), maxRetryAfter_);
            QTimer::singleShot(delay, this,
                               [this, url, done = std::move(done)]() mutable { get(url, std::move(done), true); });
            return;
        }
        if (reply->error() != QNetworkReply::NoError || status != 200) {
            done({std::nullopt, errorFor(*reply, url.path())});
            return;
        }
        done({reply->readAll(), {}});
    });
}

QString HubClient::errorFor(QNetworkReply& reply, const QString& what) const {
    const int status = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString host = baseUrl_.host();
    if (status == 401 || status == 403) return gatedMessage();
    if (status == 404)
        return tr("Hugging Face has nothing at %1: the model may have been renamed or removed.").arg(what);
    if (status == 429) {
        const qint64 seconds = std::chrono::duration_cast<std::chrono::seconds>(retryAfter(reply)).count();
        return tr("Hugging Face is limiting how often Nibble may ask. Try again in %1 s.")
            .arg(std::max<qint64>(seconds, 1));
    }
    if (status >= 500)
        return tr("Hugging Face is not answering properly right now (HTTP %1). Try again later.").arg(status);
    if (status >= 400) return tr("Hugging Face answered with an error (HTTP %1).").arg(status);
    switch (reply.error()) {
        case QNetworkReply::SslHandshakeFailedError:
        case QNetworkReply::InsecureRedirectError:
            return tr("The secure connection to %1 could not be verified, so Nibble did not use it.").arg(host);
        case QNetworkReply::TooManyRedirectsError:
            return tr("%1 sent Nibble round in circles (too many redirects).").arg(host);
        case QNetworkReply::OperationCanceledError:
        case QNetworkReply::TimeoutError: return tr("%1 did not answer in time. Try again later.").arg(host);
        default: return tr("Can't reach %1. Check your internet connection.").arg(host);
    }
}

}  // namespace nibble::app
