// Downloads against a local HTTP server on 127.0.0.1: a verified file lands
// in models/ and in the library, transfers resume with Range requests after a
// dropped connection, a pause and a restart, damaged files are refused, and
// failures read as sentences. A misbehaving server (a web page for the file,
// 206 without Content-Range, the wrong range, a stall, a trickle, a body cut
// short again and again) ends in a clear error after a bounded number of
// requests, leaving no empty part file. The speed and time left, given
// bytes at set times, read right and hold still through one slow moment.
#include "downloads/download_list_model.h"
#include "downloads/download_manager.h"
#include "downloads/model_catalog.h"
#include "downloads/transfer_rate.h"
#include "library/model_registration.h"
#include "range_http_server.h"
#include "storage/database.h"
#include "storage/variant_store.h"
#include "test_models.h"

#include <nibble/error.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace nibble;
using namespace nibble::app;
using namespace std::chrono_literals;

namespace {

constexpr int kTimeoutMs = 15000;

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// The file served at url, with its size and sha256 known in advance.
CatalogFile catalogFileFor(const QUrl& url, const QByteArray& content, qint64 sizeBytes = -1) {
    CatalogFile entry;
    entry.id = QStringLiteral("stories/F32");
    entry.modelName = QStringLiteral("Stories 260K");
    entry.license = QStringLiteral("MIT");
    entry.precision = QStringLiteral("F32");
    entry.bits = 32;
    entry.fileName = QStringLiteral("stories260K.gguf");
    entry.url = url;
    entry.sizeBytes = sizeBytes >= 0 ? sizeBytes : content.size();
    entry.sha256 = QString::fromLatin1(QCryptographicHash::hash(content, QCryptographicHash::Sha256).toHex());
    return entry;
}

}  // namespace

class TestDownloadManager : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<storage::Database> db_;
    QByteArray content_;
    QString modelsDir_;
    const QString kId = QStringLiteral("stories/F32");
    static constexpr int kAttempts = 4;

    DownloadOptions testOptions() const {
        DownloadOptions options;
        options.allowLoopbackHttp = true;
        options.maxAttempts = kAttempts;
        options.firstRetryDelay = 10ms;
        options.maxRetryDelay = 40ms;
        options.slowWindow = 10000ms;
        return options;
    }

    // For servers that stall or trickle: a short window, so that the test is quick.
    DownloadOptions impatientOptions() const {
        DownloadOptions options = testOptions();
        options.minBytesPerSecond = 10'000;
        options.slowWindow = 300ms;
        return options;
    }

    // Starts the download and waits for it to fail; then checks that the
    // server was asked `requests` times and not once more.
    void verifyFailsAfter(DownloadManager& manager, const nibble::test::RangeHttpServer& server, int requests,
                          const QString& messagePart) {
        manager.start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(manager.task(kId)->state(), DownloadState::Failed, kTimeoutMs);
        QVERIFY2(manager.task(kId)->message().contains(messagePart), qPrintable(manager.task(kId)->message()));
        QTest::qWait(300);
        QCOMPARE(server.rangeHeaders().size(), requests);
        QCOMPARE(manager.task(kId)->state(), DownloadState::Failed);
        QVERIFY(!QFile::exists(finalPath()));
        // A part file, if any, holds bytes worth resuming.
        QVERIFY(!QFile::exists(partPath()) || QFileInfo(partPath()).size() > 0);
    }

    std::unique_ptr<DownloadManager> managerFor(const nibble::test::RangeHttpServer& server,
                                                const DownloadOptions& options, qint64 sizeBytes = -1) {
        auto manager = std::make_unique<DownloadManager>(*db_, ModelCatalog(), modelsDir_, options);
        manager->addFile(catalogFileFor(server.url("stories260K.gguf"), content_, sizeBytes));
        return manager;
    }

    // The first request asks for the whole file, the second resumes at
    // resumedAt; on a loaded machine a later one may resume further on.
    static void verifyResumedAt(const QList<QByteArray>& ranges, qint64 resumedAt) {
        QVERIFY2(ranges.size() >= 2, qPrintable(QString::number(ranges.size())));
        QCOMPARE(ranges.at(0), QByteArray());
        QCOMPARE(ranges.at(1), "bytes=" + QByteArray::number(resumedAt) + '-');
        for (qsizetype i = 2; i < ranges.size(); ++i)
            QVERIFY2(ranges.at(i).startsWith("bytes=") && ranges.at(i).mid(6).chopped(1).toLongLong() > resumedAt,
                     ranges.at(i).constData());
    }

    QString finalPath() const { return QDir(modelsDir_).filePath("stories260K.gguf"); }
    QString partPath() const { return finalPath() + ".part"; }

    void verifyLanded(DownloadManager& manager) {
        QCOMPARE(readAll(finalPath()), content_);
        QVERIFY(!QFile::exists(partPath()));
        const auto variant = storage::VariantStore(*db_).findByPath(QFileInfo(finalPath()).canonicalFilePath());
        QVERIFY(variant.has_value());
        QCOMPARE(variant->origin, storage::VariantOrigin::Downloaded);
        QCOMPARE(variant->sizeBytes, qint64(content_.size()));
        QCOMPARE(variant->sha256,
                 QString::fromLatin1(QCryptographicHash::hash(content_, QCryptographicHash::Sha256).toHex()));
        QVERIFY(manager.isInLibrary(kId));
    }

private slots:
    void init() {
        QVERIFY(dir_.isValid());
        NIBBLE_REQUIRE_MODEL(stories, nibble::test::kStories);
        content_ = readAll(QString::fromStdString(stories.string()));
        QVERIFY(content_.size() > 500'000);
        modelsDir_ = QDir(dir_.path()).filePath("models");
        QDir(modelsDir_).removeRecursively();
        QFile::remove(QDir(dir_.path()).filePath("nibble.db"));
        db_ = std::make_unique<storage::Database>(storage::Database::open(QDir(dir_.path()).filePath("nibble.db")));
    }

    void cleanup() { db_.reset(); }

    void fullDownloadLandsInModelsAndLibrary() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        auto manager = managerFor(server, testOptions());
        QSignalSpy added(manager.get(), &DownloadManager::modelAdded);
        QCOMPARE(manager->task(kId)->state(), DownloadState::Idle);
        QVERIFY(!manager->isInLibrary(kId));
        manager->start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(added.count(), 1, kTimeoutMs);
        QCOMPARE(manager->task(kId)->state(), DownloadState::Finished);
        QCOMPARE(server.rangeHeaders(), QList<QByteArray>{QByteArray()});
        verifyLanded(*manager);
    }

    void droppedConnectionResumesWithRange() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.dropNextResponseAfter(300'000);
        auto manager = managerFor(server, testOptions());
        QSignalSpy added(manager.get(), &DownloadManager::modelAdded);
        manager->start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(added.count(), 1, kTimeoutMs);
        verifyResumedAt(server.rangeHeaders(), 300'000);
        verifyLanded(*manager);
    }

    void damagedFileIsRejected() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.serveDamagedContent(true);
        auto manager = managerFor(server, testOptions());
        QSignalSpy added(manager.get(), &DownloadManager::modelAdded);
        manager->start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(manager->task(kId)->state(), DownloadState::Failed, kTimeoutMs);
        QVERIFY2(manager->task(kId)->message().contains("checksum"), qPrintable(manager->task(kId)->message()));
        QCOMPARE(added.count(), 0);
        QVERIFY(!QFile::exists(finalPath()));
        QVERIFY(!QFile::exists(partPath()));
        QVERIFY(storage::VariantStore(*db_).findByPath(finalPath()) == std::nullopt);
        QVERIFY(!manager->isInLibrary(kId));
    }

    void pauseKeepsThePartAndResumeContinuesIt() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.trickle(16 * 1024, 5);
        auto manager = managerFor(server, testOptions());
        QSignalSpy added(manager.get(), &DownloadManager::modelAdded);
        const DownloadTask* task = manager->task(kId);
        manager->start(kId);
        QTRY_VERIFY_WITH_TIMEOUT(task->receivedBytes() >= 100'000, kTimeoutMs);
        manager->pause(kId);
        QCOMPARE(task->state(), DownloadState::Paused);
        const qint64 kept = QFileInfo(partPath()).size();
        QCOMPARE(kept, task->receivedBytes());
        QVERIFY(kept > 0 && kept < content_.size());
        QTest::qWait(100);  // nothing arrives while paused
        QCOMPARE(QFileInfo(partPath()).size(), kept);

        server.trickle(0, 0);
        manager->start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(added.count(), 1, kTimeoutMs);
        verifyResumedAt(server.rangeHeaders(), kept);
        verifyLanded(*manager);
    }

    void partFileResumesAfterRestart() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.dropNextResponseAfter(400'000);
        DownloadOptions noRetries = testOptions();
        noRetries.maxAttempts = 1;
        {
            auto manager = managerFor(server, noRetries);
            manager->start(kId);
            QTRY_COMPARE_WITH_TIMEOUT(manager->task(kId)->state(), DownloadState::Failed, kTimeoutMs);
            QVERIFY2(manager->task(kId)->message().contains("kept dropping"),
                     qPrintable(manager->task(kId)->message()));
        }
        QCOMPARE(QFileInfo(partPath()).size(), qint64(400'000));

        // A new run finds the part file and offers to resume it.
        auto manager = managerFor(server, testOptions());
        QSignalSpy added(manager.get(), &DownloadManager::modelAdded);
        QCOMPARE(manager->task(kId)->state(), DownloadState::Paused);
        QCOMPARE(manager->task(kId)->receivedBytes(), qint64(400'000));
        manager->start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(added.count(), 1, kTimeoutMs);
        verifyResumedAt(server.rangeHeaders(), 400'000);
        verifyLanded(*manager);
    }

    void refusedConnectionSaysOffline() {
        QUrl url;
        {
            // A port that was just free and now has nobody listening.
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            url = QUrl(QStringLiteral("http://127.0.0.1:%1/files/stories260K.gguf").arg(probe.serverPort()));
        }
        DownloadManager manager(*db_, ModelCatalog(), modelsDir_, testOptions());
        manager.addFile(catalogFileFor(url, content_));
        manager.start(kId);
        QTRY_COMPARE_WITH_TIMEOUT(manager.task(kId)->state(), DownloadState::Failed, kTimeoutMs);
        QCOMPARE(manager.task(kId)->message(),
                 QStringLiteral("Can't reach 127.0.0.1. Check your internet connection."));
        QVERIFY(!QFile::exists(finalPath()));
    }

    void plainHttpIsRefusedWithoutTheTestOption() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        DownloadOptions production = testOptions();
        production.allowLoopbackHttp = false;
        auto manager = managerFor(server, production);
        manager->start(kId);
        QCOMPARE(manager->task(kId)->state(), DownloadState::Failed);
        QVERIFY2(manager->task(kId)->message().contains("https"), qPrintable(manager->task(kId)->message()));
        QTest::qWait(50);
        QVERIFY(server.rangeHeaders().isEmpty());
    }

    void notEnoughDiskSpaceIsCaughtBeforeStarting() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        auto manager = managerFor(server, testOptions(), qint64(1) << 60);
        manager->start(kId);
        QCOMPARE(manager->task(kId)->state(), DownloadState::Failed);
        QVERIFY2(manager->task(kId)->message().startsWith("Not enough disk space"),
                 qPrintable(manager->task(kId)->message()));
        QTest::qWait(50);
        QVERIFY(server.rangeHeaders().isEmpty());
    }

    // Reproduces 21,768 requests in 20 s: 206 without Content-Range is an
    // error at once, not a reason to ask again.
    void partialAnswerWithoutContentRangeIsAnError() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.omitContentRange(true);
        auto manager = managerFor(server, testOptions());
        verifyFailsAfter(*manager, server, 1, "without saying correctly which part");
        QVERIFY(!QFile::exists(partPath()));
    }

    // An error page served with status 200 is not a model file: refused as
    // its first bytes arrive, and nothing of it is kept.
    void webPageInsteadOfTheFileIsAnError() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.serveInstead("<!DOCTYPE html><html><body><h1>Too many requests</h1></body></html>");
        auto manager = managerFor(server, testOptions());
        verifyFailsAfter(*manager, server, 1, "did not send a model file");
        QVERIFY(!QFile::exists(partPath()));
    }

    // A server that sends its headers and then nothing: each attempt ends
    // after the rate window, and after the last one the download fails
    // without leaving an empty part file.
    void stalledServerGivesUp() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.stallAfterHeaders(true);
        auto manager = managerFor(server, impatientOptions());
        verifyFailsAfter(*manager, server, kAttempts, "too slow");
        QVERIFY(!QFile::exists(partPath()));
    }

    // 20 bytes per second never stalls, but is far too slow to finish.
    void tricklingServerGivesUp() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.trickle(1, 50);
        auto manager = managerFor(server, impatientOptions());
        verifyFailsAfter(*manager, server, kAttempts, "too slow");
        // What did arrive is kept for a later resume.
        QCOMPARE(QFileInfo(partPath()).size(), manager->task(kId)->receivedBytes());
        QVERIFY(manager->task(kId)->receivedBytes() > 0);
    }

    // Bytes arriving do not renew the attempts: a server without Range that
    // always cuts the body short is asked kAttempts times.
    void bodyCutShortWithoutRangeGivesUp() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.ignoreRange(true);
        server.dropEveryResponseAfter(100'000);
        auto manager = managerFor(server, testOptions());
        verifyFailsAfter(*manager, server, kAttempts, "kept dropping");
        for (const QByteArray& range : server.rangeHeaders().mid(1)) QCOMPARE(range, "bytes=100000-");
    }

    // A server that answers every Range with the file's start (and cuts it
    // short): the part is started over, but only kAttempts times.
    void wrongRangeGivesUp() {
        nibble::test::RangeHttpServer server(content_);
        QVERIFY(server.listen());
        server.answerRangeFromStart(true);
        server.dropEveryResponseAfter(100'000);
        auto manager = managerFor(server, testOptions());
        verifyFailsAfter(*manager, server, kAttempts, "wrong part");
        const QList<QByteArray> expected{"", "bytes=100000-", "", "bytes=100000-"};
        QCOMPARE(server.rangeHeaders(), expected);
    }

    void retryDelaysDoubleWithJitterUpToTheCap() {
        DownloadOptions options;
        options.firstRetryDelay = 1000ms;
        options.maxRetryDelay = 60'000ms;
        QCOMPARE(int(retryDelay(1, options, 0.5).count()), 1000);
        QCOMPARE(int(retryDelay(2, options, 0.5).count()), 2000);
        QCOMPARE(int(retryDelay(4, options, 0.5).count()), 8000);
        QCOMPARE(int(retryDelay(4, options, 0.0).count()), 6000);
        QCOMPARE(int(retryDelay(4, options, 1.0).count()), 10'000);
        QCOMPARE(int(retryDelay(7, options, 0.5).count()), 60'000);
        QCOMPARE(int(retryDelay(1000, options, 0.5).count()), 60'000);
    }

    void timeLeftReadsAsWords() {
        QCOMPARE(timeLeftText(1000, 0), QString());
        QCOMPARE(timeLeftText(10'000, 1000), QStringLiteral("less than a minute left"));
        QCOMPARE(timeLeftText(150'000, 1000), QStringLiteral("about 3 min left"));
        QCOMPARE(timeLeftText(7'200'000, 1000), QStringLiteral("about 2 h 0 min left"));
    }

    void speedAndTimeLeftFollowTheBytesNotOneSlowMoment() {
        struct FakeClock final : Clock {
            std::chrono::milliseconds time{0};
            std::chrono::milliseconds now() const override { return time; }
        } clock;
        TransferRate rate(clock);
        const qint64 fileSize = 2'000'000'000;
        qint64 received = 0;
        const auto receive = [&](qint64 bytesPerSecond, std::chrono::milliseconds duration) {
            for (auto spent = 0ms; spent < duration; spent += 500ms) {
                clock.time += 500ms;
                received += bytesPerSecond / 2;
                rate.update(received);
            }
        };
        rate.restart(received);
        QCOMPARE(transferSpeedText(rate.bytesPerSecond()), QString());
        // Shorter than a sample window: no speed yet.
        clock.time += 100ms;
        received += 1'000'000;
        rate.update(received);
        QCOMPARE(rate.bytesPerSecond(), 0.0);
        clock.time = 0ms;
        received = 0;
        rate.restart(received);

        receive(10'000'000, 100s);
        QCOMPARE(transferSpeedText(rate.bytesPerSecond()), QStringLiteral("10.0 MB/s"));
        QCOMPARE(received, qint64(1'000'000'000));
        QCOMPARE(timeLeftText(fileSize - received, rate.bytesPerSecond()), QStringLiteral("about 2 min left"));

        // Half a second at a tenth of the speed: the speed barely moves and the time left stays.
        receive(1'000'000, 500ms);
        QVERIFY2(rate.bytesPerSecond() > 9'000'000, qPrintable(QString::number(rate.bytesPerSecond())));
        QCOMPARE(timeLeftText(fileSize - received, rate.bytesPerSecond()), QStringLiteral("about 2 min left"));
        receive(10'000'000, 5s);
        QVERIFY2(rate.bytesPerSecond() > 9'500'000, qPrintable(QString::number(rate.bytesPerSecond())));

        // A lasting slowdown shows within seconds.
        receive(1'000'000, 20s);
        QVERIFY2(rate.bytesPerSecond() < 1'200'000, qPrintable(QString::number(rate.bytesPerSecond())));
        QCOMPARE(transferSpeedText(rate.bytesPerSecond()), QStringLiteral("1.2 MB/s"));
        QCOMPARE(timeLeftText(fileSize - received, rate.bytesPerSecond()), QStringLiteral("about 14 min left"));

        rate.clear();
        QCOMPARE(transferSpeedText(rate.bytesPerSecond()), QString());
    }

    void decodeSpeedEstimateIsBandwidthOverFileSize() {
        QCOMPARE(decodeSpeedEstimateText(1'000'000'000, 0), QString());
        QCOMPARE(decodeSpeedEstimateText(0, 20e9), QString());
        QCOMPARE(decodeSpeedEstimateText(800'000'000, 20e9), QStringLiteral("about 25 tokens/s on this computer's processor"));
        QCOMPARE(decodeSpeedEstimateText(4'000'000'000, 20e9),
                 QStringLiteral("about %1 tokens/s on this computer's processor").arg(QLocale().toString(5.0, 'f', 1)));
    }
};

QTEST_GUILESS_MAIN(TestDownloadManager)
#include "test_download_manager.moc"
