#pragma once
// One file transfer: fetches a catalog file into "<name>.part" in the models
// folder, resuming from the part file's size with an HTTP Range request
// (after a pause, a dropped connection or an app restart), hashing the bytes
// as they are written, retrying transient failures a bounded number of times
// with exponential backoff, and renaming the part file to its final name only
// once its size and sha256 match the catalog. A body that does not start like
// a GGUF file, or a partial answer that does not say which part it is, stops
// the transfer at once. Everything is asynchronous: the network runs on the
// event loop and re-hashing an existing part file runs on the thread pool.
#include "downloads/model_catalog.h"
#include "downloads/transfer_rate.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <memory>
#include <utility>

class QNetworkAccessManager;
class QNetworkReply;

namespace nibble::app {

struct DownloadOptions {
    // Plain http to a loopback address, for tests with a local server.
    // Everything else must be https, with the certificate checked.
    bool allowLoopbackHttp = false;
    // Requests per download, the first one included, before it fails; bytes
    // arriving do not renew them, so a server that keeps cutting the
    // transfer short cannot keep Nibble asking forever. Pressing Try again
    // starts a new count.
    int maxAttempts = 8;
    // The wait before the second attempt; each later one waits twice as long,
    // up to maxRetryDelay, give or take a quarter at random so that clients
    // cut off together do not all come back at the same moment.
    std::chrono::milliseconds firstRetryDelay{1000};
    std::chrono::milliseconds maxRetryDelay{60000};
    // An attempt that receives less than minBytesPerSecond on average over a
    // slowWindow (nothing at all, from a stalled server) is dropped and
    // counts as failed.
    qint64 minBytesPerSecond = 1024;
    std::chrono::milliseconds slowWindow{30000};
};

// How long to wait after failedAttempts (1 or more) failed requests; jitter
// in [0, 1) picks the point in the +-25% band.
std::chrono::milliseconds retryDelay(int failedAttempts, const DownloadOptions& options, double jitter);

// Where a file's expected size and checksum come from, and what the server
// needs to hand it over.
struct DownloadOrigin {
    // Completes "its checksum does not match ...".
    QString checksumSource = QStringLiteral("the catalog");
    // Sent as "Authorization: Bearer <token>"; empty sends none.
    QByteArray accessToken;
    // What a 401/403 answer means, in words; empty: a plain refusal.
    QString accessDenied;
};

// Redirects a file request may take (a Hub sends downloads to its CDN);
// more means something is wrong.
inline constexpr int kMaxDownloadRedirects = 5;

enum class DownloadState { Idle, Preparing, Downloading, Paused, Verifying, Finished, Failed };

// The state as the QML download rows name it: "idle", "downloading", ...
QString stateName(DownloadState state);

class DownloadTask : public QObject {
    Q_OBJECT

public:
    DownloadTask(QNetworkAccessManager& network, CatalogFile file, const QString& modelsDir,
                 const DownloadOptions& options, QObject* parent = nullptr);
    ~DownloadTask() override;

    const CatalogFile& file() const { return file_; }
    void setOrigin(DownloadOrigin origin) { origin_ = std::move(origin); }
    QString partPath() const;
    QString finalPath() const;
    // "<name>.sha256", as sha256sum writes it: written next to the file once
    // it is verified, where setRecordsVerification asked for it.
    QString recordPath() const;
    // A split model's parts wait, verified, for the others, across restarts
    // too: each keeps a record of its verification for adoptFinishedFile().
    void setRecordsVerification(bool records) { recordsVerification_ = records; }
    // For a file an earlier run finished: Finished at once (nothing fetched)
    // where its size and record vouch for it; where only its size does, it
    // becomes the part file again, which start() re-hashes without fetching
    // a byte. Returns whether it is Finished.
    bool adoptFinishedFile();

    DownloadState state() const { return state_; }
    // Why it failed, or what it is waiting for ("retrying in 4 s"), in words.
    QString message() const { return message_; }
    qint64 receivedBytes() const { return received_; }
    double bytesPerSecond() const { return rate_.bytesPerSecond(); }

    // Starts, or resumes from the part file; does nothing while running.
    void start();
    // Stops the transfer and keeps the part file for resume.
    void pause();
    // Stops the transfer and deletes the part file.
    void cancel();
    // For failures found after the transfer, e.g. when the file cannot be
    // added to the library.
    void markFailed(const QString& text) { fail(text); }

signals:
    void stateChanged();
    void progressChanged();
    // The verified file is at finalPath().
    void completed();

private:
    // Closes the part file, and deletes it when it holds nothing.
    void closePart();
    void sendRequest();
    // One request of the current attempt: the file's URL or where it redirected.
    void get(const QUrl& url);
    void followRedirect(const QUrl& url);
    // https, or http to a loopback address where the options allow it.
    bool isSecure(const QUrl& url) const;
    void onReadyRead();
    void onFinished();
    bool acceptResponse();
    void writeChunk(const QByteArray& data);
    void retryOrFail(const QString& finalMessage, bool unreachable = false);
    void checkTransferRate();
    // Refuses what is not a GGUF file as soon as its first bytes are in.
    bool checkMagic(const QByteArray& data);
    void verifyAndFinish();
    void stopReply();
    void resetPart();
    void fail(const QString& text);
    void setState(DownloadState state, const QString& text = {});
    QString hostName() const;
    QString unreachableMessage() const;

    QNetworkAccessManager& network_;
    CatalogFile file_;
    QString modelsDir_;
    DownloadOptions options_;
    DownloadOrigin origin_;

    DownloadState state_ = DownloadState::Idle;
    QString message_;
    QFile part_;
    std::shared_ptr<QCryptographicHash> hash_;
    qint64 hashedBytes_ = -1;  // bytes of the part file hash_ covers; -1: none
    qint64 received_ = 0;      // bytes in the part file
    QPointer<QNetworkReply> reply_;
    bool responseChecked_ = false;
    // The file's first bytes, up to the GGUF magic's length.
    QByteArray head_;
    int attempts_ = 0;
    int redirects_ = 0;  // in the current attempt
    QTimer retryTimer_;
    QTimer rateTimer_;
    qint64 rateMarkBytes_ = 0;
    QFutureWatcher<std::pair<std::shared_ptr<QCryptographicHash>, qint64>> hashWatcher_;

    bool recordsVerification_ = false;

    SteadyClock clock_;
    TransferRate rate_{clock_};
};

}  // namespace nibble::app
