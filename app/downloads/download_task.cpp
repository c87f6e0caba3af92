#include "downloads/download_task.h"

#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>

namespace nibble::app {
namespace {

using HashedPrefix = std::pair<std::shared_ptr<QCryptographicHash>, qint64>;

// Every GGUF file starts with these bytes; a web page or an error text
// served in the model's place does not.
const QByteArray kGgufMagic = QByteArrayLiteral("GGUF");

QByteArray readHead(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.read(kGgufMagic.size()) : QByteArray();
}

// Reads the whole part file on a pool thread; the hash then continues from
// its end as new bytes arrive.
HashedPrefix hashFile(const QString& path) {
    auto hash = std::make_shared<QCryptographicHash>(QCryptographicHash::Sha256);
    QFile file(path);
    qint64 bytes = 0;
    if (file.open(QIODevice::ReadOnly)) {
        QByteArray block;
        while (!(block = file.read(1 << 20)).isEmpty()) {
            hash->addData(block);
            bytes += block.size();
        }
    }
    return {hash, bytes};
}

bool isLoopback(const QUrl& url) {
    if (url.host() == QLatin1String("localhost")) return true;
    const QHostAddress address(url.host());
    return !address.isNull() && address.isLoopback();
}

// Failures that may pass: the network coming back, a server hiccup, a
// connection cut short.
bool isTransient(QNetworkReply::NetworkError error) {
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:  // the stall timeout
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::InternalServerError:
    case QNetworkReply::ServiceUnavailableError:
    case QNetworkReply::UnknownServerError:
    case QNetworkReply::ProtocolFailure: return true;
    default: return false;
    }
}

// Failures that mean the host could not be reached at all.
bool isUnreachable(QNetworkReply::NetworkError error) {
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::TimeoutError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError: return true;
    default: return false;
    }
}

bool isSslFailure(QNetworkReply::NetworkError error) {
    return error == QNetworkReply::SslHandshakeFailedError || error == QNetworkReply::InsecureRedirectError;
}

}  // namespace

QString stateName(DownloadState state) {
    switch (state) {
    case DownloadState::Idle: return QStringLiteral("idle");
    case DownloadState::Preparing: return QStringLiteral("preparing");
    case DownloadState::Downloading: return QStringLiteral("downloading");
    case DownloadState::Paused: return QStringLiteral("paused");
    case DownloadState::Verifying: return QStringLiteral("verifying");
    case DownloadState::Finished: return QStringLiteral("finished");
    case DownloadState::Failed: return QStringLiteral("failed");
    }
    return {};
}

std::chrono::milliseconds retryDelay(int failedAttempts, const DownloadOptions& options, double jitter) {
    const double doublings = std::min(failedAttempts - 1, 30);
    const double base =
        std::min(double(options.firstRetryDelay.count()) * std::exp2(doublings), double(options.maxRetryDelay.count()));
    return std::chrono::milliseconds(qint64(base * (0.75 + 0.5 * std::clamp(jitter, 0.0, 1.0))));
}

DownloadTask::DownloadTask(QNetworkAccessManager& network, CatalogFile file, const QString& modelsDir,
                           const DownloadOptions& options, QObject* parent)
    : QObject(parent), network_(network), file_(std::move(file)), modelsDir_(modelsDir), options_(options) {
    retryTimer_.setSingleShot(true);
    connect(&retryTimer_, &QTimer::timeout, this, &DownloadTask::sendRequest);
    rateTimer_.setInterval(options_.slowWindow);
    connect(&rateTimer_, &QTimer::timeout, this, &DownloadTask::checkTransferRate);
    connect(&hashWatcher_, &QFutureWatcher<HashedPrefix>::finished, this, [this] {
        if (state_ != DownloadState::Preparing) return;
        std::tie(hash_, hashedBytes_) = hashWatcher_.result();
        received_ = hashedBytes_;
        sendRequest();
    });
    const QFileInfo part(partPath());
    if (part.isFile()) {
        received_ = part.size();
        setState(DownloadState::Paused);
    }
}

DownloadTask::~DownloadTask() { stopReply(); }

QString DownloadTask::partPath() const { return finalPath() + QStringLiteral(".part"); }

QString DownloadTask::finalPath() const { return QDir(modelsDir_).filePath(file_.fileName); }

QString DownloadTask::recordPath() const { return finalPath() + QStringLiteral(".sha256"); }

bool DownloadTask::adoptFinishedFile() {
    if (state_ != DownloadState::Idle) return state_ == DownloadState::Finished;
    const QFileInfo done(finalPath());
    // Size first: a file of another size is no finished part, and costs nothing to rule out.
    if (!done.isFile() || done.size() != file_.sizeBytes) return false;
    const QFileInfo record(recordPath());
    QFile recordFile(recordPath());
    const QByteArray recorded =
        recordFile.open(QIODevice::ReadOnly) ? recordFile.readLine().trimmed().split(' ').value(0) : QByteArray();
    recordFile.close();
    // The file got its final name only after its sha256 matched, and the
    // record was written just after: while the record names the sha256 the
    // Hub publishes now and the file has not been written since, re-reading
    // gigabytes to hash them again would only repeat that check.
    if (recorded == file_.sha256.toLatin1() && done.lastModified() <= record.lastModified()) {
        received_ = file_.sizeBytes;
        setState(DownloadState::Finished);
        return true;
    }
    QFile::remove(recordPath());
    if (!recorded.isEmpty() && recorded != file_.sha256.toLatin1()) {
        // The Hub now publishes another file under that name.
        QFile::remove(finalPath());
        return false;
    }
    // No record (lost, or the file was written to since): the sha256 must
    // decide, and start() computes it over the part file.
    if (QFile::exists(partPath()) || !QFile::rename(finalPath(), partPath())) return false;
    received_ = file_.sizeBytes;
    setState(DownloadState::Paused);
    return false;
}

QString DownloadTask::hostName() const { return file_.url.host(); }

bool DownloadTask::isSecure(const QUrl& url) const {
    return url.scheme() == QLatin1String("https") ||
           (options_.allowLoopbackHttp && url.scheme() == QLatin1String("http") && isLoopback(url));
}

QString DownloadTask::unreachableMessage() const {
    return tr("Can't reach %1. Check your internet connection.").arg(hostName());
}

void DownloadTask::setState(DownloadState state, const QString& text) {
    state_ = state;
    message_ = text;
    emit stateChanged();
}

void DownloadTask::closePart() {
    part_.close();
    // An empty part file is nothing to resume, only clutter.
    if (const QFileInfo part(partPath()); part.isFile() && part.size() == 0) QFile::remove(partPath());
}

void DownloadTask::fail(const QString& text) {
    stopReply();
    retryTimer_.stop();
    closePart();
    setState(DownloadState::Failed, text);
}

void DownloadTask::start() {
    if (state_ == DownloadState::Preparing || state_ == DownloadState::Downloading ||
        state_ == DownloadState::Verifying)
        return;
    if (!isSecure(file_.url)) {
        fail(tr("Nibble only downloads over a secure (https) connection, and %1 is not one.")
                 .arg(file_.url.toString()));
        return;
    }
    if (!QDir().mkpath(modelsDir_)) {
        fail(tr("Nibble can't create the models folder %1.").arg(QDir::toNativeSeparators(modelsDir_)));
        return;
    }
    attempts_ = 0;
    const QFileInfo part(partPath());
    received_ = part.isFile() ? part.size() : 0;
    head_ = received_ > 0 ? readHead(partPath()) : QByteArray();
    // Too long, or not the start of a model file (e.g. left by an older
    // Nibble that saved an error page): start over.
    if (received_ > file_.sizeBytes || !kGgufMagic.startsWith(head_)) resetPart();
    const QStorageInfo volume(modelsDir_);
    const qint64 needed = file_.sizeBytes - received_;
    if (volume.isValid() && volume.bytesAvailable() >= 0 && volume.bytesAvailable() < needed) {
        const QLocale locale;
        fail(tr("Not enough disk space: %1 needs %2 more, but only %3 is free in %4.")
                 .arg(file_.fileName, locale.formattedDataSize(needed, 1, QLocale::DataSizeSIFormat),
                      locale.formattedDataSize(volume.bytesAvailable(), 1, QLocale::DataSizeSIFormat),
                      QDir::toNativeSeparators(modelsDir_)));
        return;
    }

    setState(DownloadState::Preparing, tr("Checking the part already downloaded…"));
    if (hash_ && hashedBytes_ == received_) {
        sendRequest();
    } else if (received_ == 0) {
        hash_ = std::make_shared<QCryptographicHash>(QCryptographicHash::Sha256);
        hashedBytes_ = 0;
        sendRequest();
    } else {
        hashWatcher_.setFuture(QtConcurrent::run(hashFile, partPath()));
    }
}

void DownloadTask::resetPart() {
    part_.close();
    QFile::remove(partPath());
    hash_ = std::make_shared<QCryptographicHash>(QCryptographicHash::Sha256);
    hashedBytes_ = 0;
    received_ = 0;
    head_.clear();
}

void DownloadTask::sendRequest() {
    if (received_ == file_.sizeBytes) {
        verifyAndFinish();
        return;
    }
    if (!part_.isOpen()) part_.setFileName(partPath());
    if (!part_.isOpen() && !part_.open(QIODevice::WriteOnly | QIODevice::Append)) {
        fail(tr("Nibble can't write %1: %2").arg(QDir::toNativeSeparators(partPath()), part_.errorString()));
        return;
    }
    ++attempts_;
    redirects_ = 0;
    get(file_.url);
}

void DownloadTask::get(const QUrl& url) {
    QNetworkRequest request(url);
    // Redirects are followed here, not by Qt, which would send the access
    // token on to whatever host the file is redirected to.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Nibble"));
    if (!origin_.accessToken.isEmpty() && url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery) ==
                                              file_.url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery))
        request.setRawHeader("Authorization", "Bearer " + origin_.accessToken);
    if (received_ > 0) request.setRawHeader("Range", "bytes=" + QByteArray::number(received_) + '-');
    responseChecked_ = false;
    rateMarkBytes_ = received_;
    rateTimer_.start();
    rate_.restart(received_);
    reply_ = network_.get(request);
    connect(reply_, &QNetworkReply::readyRead, this, &DownloadTask::onReadyRead);
    connect(reply_, &QNetworkReply::finished, this, &DownloadTask::onFinished);
    if (state_ != DownloadState::Downloading || !message_.isEmpty()) setState(DownloadState::Downloading);
}

// Checks the first response of an attempt: a resumed transfer must continue
// exactly where the part file ends.
bool DownloadTask::acceptResponse() {
    responseChecked_ = true;
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 206) {
        static const QRegularExpression contentRange(QStringLiteral("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$"));
        const auto match = contentRange.match(QString::fromLatin1(reply_->rawHeader("Content-Range")).trimmed());
        const qint64 first = match.captured(1).toLongLong();
        const qint64 last = match.captured(2).toLongLong();
        const QString total = match.captured(3);
        if (!match.hasMatch() || last < first || last >= file_.sizeBytes ||
            (total != QLatin1String("*") && total.toLongLong() != file_.sizeBytes)) {
            fail(tr("%1 sent part of %2 without saying correctly which part, so Nibble cannot use it. "
                    "Try again later.")
                     .arg(hostName(), file_.fileName));
            return false;
        }
        if (first == received_) return true;
        // Not where the part file ends: start over rather than splice.
        stopReply();
        resetPart();
        retryOrFail(tr("%1 keeps sending the wrong part of %2. Try again later.").arg(hostName(), file_.fileName));
        return false;
    }
    if (status == 200) {
        // The server ignored the Range header and sends the whole file.
        if (received_ > 0) {
            part_.close();
            resetPart();
            part_.setFileName(partPath());
            if (!part_.open(QIODevice::WriteOnly | QIODevice::Append)) {
                fail(tr("Nibble can't write %1: %2").arg(QDir::toNativeSeparators(partPath()), part_.errorString()));
                return false;
            }
        }
        return true;
    }
    return false;  // an error page: onFinished reports it
}

void DownloadTask::onReadyRead() {
    if (!reply_) return;
    if (!responseChecked_ && !acceptResponse()) return;
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200 && status != 206) return;
    writeChunk(reply_->readAll());
}

bool DownloadTask::checkMagic(const QByteArray& data) {
    if (head_.size() >= kGgufMagic.size()) return true;
    head_ += data.left(kGgufMagic.size() - head_.size());
    if (kGgufMagic.startsWith(head_)) return true;
    stopReply();
    resetPart();
    fail(tr("%1 did not send a model file for %2 (perhaps an error page instead), so the download was stopped. "
            "Try again later.")
             .arg(hostName(), file_.fileName));
    return false;
}

void DownloadTask::writeChunk(const QByteArray& data) {
    if (data.isEmpty() || !checkMagic(data)) return;
    if (received_ + data.size() > file_.sizeBytes) {
        stopReply();
        resetPart();
        fail(tr("The server sent more data than %1 should hold, so the download was stopped.").arg(file_.fileName));
        return;
    }
    const qint64 written = part_.write(data);
    if (written != data.size() || !part_.flush()) {
        const bool full = part_.error() == QFileDevice::ResourceError;
        const QString reason = part_.errorString();
        stopReply();
        part_.close();
        fail(full ? tr("The disk is full. Free some space in %1, then press Try again.")
                        .arg(QDir::toNativeSeparators(modelsDir_))
                  : tr("Nibble can't write %1: %2").arg(QDir::toNativeSeparators(partPath()), reason));
        return;
    }
    hash_->addData(data);
    hashedBytes_ += data.size();
    received_ += data.size();
    rate_.update(received_);
    emit progressChanged();
}

void DownloadTask::onFinished() {
    QNetworkReply* reply = reply_;
    if (!reply || sender() != reply) return;
    if (state_ == DownloadState::Downloading &&
        (responseChecked_ || (reply->error() == QNetworkReply::NoError && acceptResponse()))) {
        // The last bytes can come with the end of the response.
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 200 || status == 206) writeChunk(reply->readAll());
    }
    if (reply_ != reply) return;  // the response was refused or a write failed
    reply_ = nullptr;
    reply->deleteLater();
    if (state_ != DownloadState::Downloading) return;
    rateTimer_.stop();
    part_.flush();

    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QNetworkReply::NetworkError error = reply->error();
    if (status >= 300 && status < 400 && reply->hasRawHeader("Location")) {
        followRedirect(reply->url().resolved(QUrl::fromEncoded(reply->rawHeader("Location"))));
        return;
    }
    if (error == QNetworkReply::NoError && (status == 200 || status == 206)) {
        if (received_ == file_.sizeBytes) {
            verifyAndFinish();
        } else {
            retryOrFail(tr("The connection to %1 kept dropping. Press Try again to continue where it stopped.")
                            .arg(hostName()));
        }
        return;
    }
    if (status == 416) {
        // The part file is at least as long as the file: check what we have.
        if (received_ == file_.sizeBytes) {
            verifyAndFinish();
        } else {
            resetPart();
            retryOrFail(tr("%1 refused to continue the download. Press Try again to start over.").arg(hostName()));
        }
        return;
    }
    if (isSslFailure(error)) {
        fail(tr("The secure connection to %1 could not be verified, so nothing was downloaded from it.")
                 .arg(hostName()));
        return;
    }
    if (status == 404 || status == 410) {
        fail(tr("%1 is no longer available at %2.").arg(file_.fileName, hostName()));
        return;
    }
    if (status == 401 || status == 403) {
        fail(origin_.accessDenied.isEmpty() ? tr("%1 refused access to %2.").arg(hostName(), file_.fileName)
                                            : origin_.accessDenied);
        return;
    }
    if (status == 408 || status == 429 || status >= 500 || isTransient(error)) {
        if (isUnreachable(error))
            retryOrFail(unreachableMessage(), true);
        else if (status >= 400)
            retryOrFail(
                tr("%1 is not answering properly right now (HTTP %2). Try again later.").arg(hostName()).arg(status));
        else
            retryOrFail(tr("The connection to %1 kept dropping. Press Try again to continue where it stopped.")
                            .arg(hostName()));
        return;
    }
    fail(status >= 400 ? tr("%1 answered with an error (HTTP %2).").arg(hostName()).arg(status)
                       : tr("The download from %1 failed: %2").arg(hostName(), reply->errorString()));
}

void DownloadTask::followRedirect(const QUrl& url) {
    if (++redirects_ > kMaxDownloadRedirects) {
        fail(tr("%1 sent the download of %2 round in circles (too many redirects).").arg(hostName(), file_.fileName));
        return;
    }
    if (!isSecure(url)) {
        fail(tr("%1 sent the download of %2 to %3, which is not a secure (https) connection, so nothing was "
                "downloaded from it.")
                 .arg(hostName(), file_.fileName, url.host()));
        return;
    }
    get(url);
}

void DownloadTask::retryOrFail(const QString& finalMessage, bool unreachable) {
    rateTimer_.stop();
    if (attempts_ >= options_.maxAttempts) {
        fail(finalMessage);
        return;
    }
    const auto delay = retryDelay(attempts_, options_, QRandomGenerator::global()->generateDouble());
    const QString seconds = QLocale().toString(double(delay.count()) / 1000.0, 'f', 1);
    setState(DownloadState::Downloading, unreachable
                                             ? tr("Can't reach %1; trying again in %2 s…").arg(hostName(), seconds)
                                             : tr("The connection dropped; trying again in %1 s…").arg(seconds));
    retryTimer_.start(delay);
}

void DownloadTask::checkTransferRate() {
    if (!reply_ || state_ != DownloadState::Downloading) {
        rateTimer_.stop();
        return;
    }
    const qint64 expected = options_.minBytesPerSecond * options_.slowWindow.count() / 1000;
    if (received_ - rateMarkBytes_ >= expected) {
        rateMarkBytes_ = received_;
        return;
    }
    stopReply();
    part_.flush();
    const QLocale locale;
    retryOrFail(tr("The download from %1 is too slow (less than %2 per second), so it was stopped. Press Try "
                   "again to continue where it stopped.")
                    .arg(hostName(), locale.formattedDataSize(options_.minBytesPerSecond, 1, QLocale::DataSizeSIFormat)));
}

void DownloadTask::verifyAndFinish() {
    setState(DownloadState::Verifying, tr("Checking the downloaded file…"));
    part_.close();
    const QString digest = hashedBytes_ == received_ ? QString::fromLatin1(hash_->result().toHex()) : QString();
    if (digest != file_.sha256) {
        resetPart();
        fail(tr("The downloaded file is damaged (its checksum does not match %1), so it was deleted. "
                "Press Download to try again.")
                 .arg(origin_.checksumSource));
        return;
    }
    // A file of that name is either an older copy or a broken earlier attempt;
    // the verified one replaces it.
    QFile::remove(finalPath());
    if (!QFile::rename(partPath(), finalPath())) {
        fail(tr("Nibble can't move the downloaded file to %1.").arg(QDir::toNativeSeparators(finalPath())));
        return;
    }
    if (recordsVerification_) {
        QFile record(recordPath());
        // Without the record a restart re-hashes the file; nothing worse.
        if (record.open(QIODevice::WriteOnly | QIODevice::Truncate))
            record.write(file_.sha256.toLatin1() + "  " + file_.fileName.toUtf8() + '\n');
    }
    hash_.reset();
    hashedBytes_ = -1;
    rate_.clear();
    setState(DownloadState::Finished);
    emit completed();
}

void DownloadTask::stopReply() {
    rateTimer_.stop();
    if (!reply_) return;
    QNetworkReply* reply = reply_;
    reply_ = nullptr;
    reply->disconnect(this);
    reply->abort();
    reply->deleteLater();
}

void DownloadTask::pause() {
    if (state_ != DownloadState::Preparing && state_ != DownloadState::Downloading) return;
    retryTimer_.stop();
    // Whatever arrived before the pause belongs in the part file.
    if (reply_ && responseChecked_) {
        const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 200 || status == 206) writeChunk(reply_->readAll());
        if (state_ == DownloadState::Failed) return;
    }
    stopReply();
    closePart();
    rate_.clear();
    setState(DownloadState::Paused);
}

void DownloadTask::cancel() {
    retryTimer_.stop();
    stopReply();
    resetPart();
    rate_.clear();
    setState(DownloadState::Idle);
    emit progressChanged();
}

}  // namespace nibble::app
