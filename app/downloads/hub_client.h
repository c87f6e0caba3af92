#pragma once
// The Hugging Face Hub's public API: searching models that have GGUF files,
// and listing a repository's GGUF files with the size and sha256 the Hub
// publishes for each (its LFS object id), so that a download can be checked
// against them. Every call is asynchronous on the owning thread's event loop
// and ends in exactly one callback with either a value or an error in words.
// A 429 answer is retried once after its Retry-After delay (bounded); other
// failures are reported at once.
#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace nibble::app {

// One repository as a search lists it.
struct HubModel {
    QString repo;  // "owner/name"
    QString author;
    qint64 downloads = 0;
    qint64 likes = 0;
    QDateTime lastModified;
    QString license;        // "apache-2.0"; empty when the card names none
    bool instruct = false;  // tuned to follow instructions / chat
    qint64 parameters = 0;  // 0: not published
    bool gated = false;     // the licence must be accepted on huggingface.co first
    QString architecture;   // from the GGUF metadata the Hub reads; may be empty
};

// One model file; a model split into "-00001-of-0000N.gguf" parts is one
// entry whose parts are listed in order.
struct HubFile {
    QString fileName;  // the first part's path in the repository
    QStringList parts;
    QList<qint64> partSizes;
    QStringList partSha256;  // lower-case hex, one per part
    qint64 sizeBytes = 0;    // all parts together
    QString quantization;    // "Q4_K_M", "BF16"; empty when the name does not say
    bool isSplit() const { return parts.size() > 1; }
};

struct HubModelFiles {
    HubModel model;
    QList<HubFile> files;
};

// The quantization type a GGUF file name carries ("Q4_K_M" in
// "Llama-3.2-1B-Instruct-Q4_K_M.gguf"), upper-case; empty when none.
QString quantizationFromFileName(const QString& fileName);

template <typename T>
struct HubResult {
    std::optional<T> value;
    QString error;  // set exactly when value is empty
};

enum class HubSort { Downloads, Likes, LastModified };

class HubClient : public QObject {
    Q_OBJECT

public:
    static constexpr const char* kDefaultBaseUrl = "https://huggingface.co";

    explicit HubClient(QNetworkAccessManager& network, QObject* parent = nullptr);

    // What a 401/403 from the Hub means for a model, in words.
    static QString gatedMessage();

    // Where the Hub is; only tests point it elsewhere.
    void setBaseUrl(const QUrl& url) { baseUrl_ = url; }
    const QUrl& baseUrl() const { return baseUrl_; }
    // Sent as "Authorization: Bearer <token>"; empty sends none.
    void setAccessToken(const QString& token) { accessToken_ = token.trimmed(); }
    const QString& accessToken() const { return accessToken_; }
    // The longest Retry-After a rate-limited call waits before its one retry.
    void setMaxRetryAfter(std::chrono::milliseconds limit) { maxRetryAfter_ = limit; }

    // Models with GGUF files matching query, most downloaded (liked, recent) first.
    void searchModels(const QString& query, HubSort sort, int limit,
                      std::function<void(HubResult<QList<HubModel>>)> done);
    // The repository's GGUF files, with sizes and checksums.
    void listFiles(const QString& repo, std::function<void(HubResult<HubModelFiles>)> done);
    // Where a file of the repository downloads from (the Hub redirects it to its CDN).
    QUrl fileUrl(const QString& repo, const QString& fileName) const;

private:
    void get(const QUrl& url, std::function<void(HubResult<QByteArray>)> done, bool retried = false);
    QString errorFor(QNetworkReply& reply, const QString& what) const;

    QNetworkAccessManager& network_;
    QUrl baseUrl_{QString::fromLatin1(kDefaultBaseUrl)};
    QString accessToken_;
    std::chrono::milliseconds maxRetryAfter_{30000};
};

}  // namespace nibble::app
