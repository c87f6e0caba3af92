// Hugging Face Hub search and download against a local stand-in for the Hub
// (hub_stand_in.h) serving the real test models: search finds GGUF models in
// the asked order with licence, parameters and instruct/base; a repository's
// GGUF files come with sizes, checksums and quantization types, split files
// as one entry; a download lands verified against the Hub's sha256 and size
// in models/ and the library, resumes after a dropped connection and after a
// restart, and a damaged file is deleted with a message. A model split into
// parts downloads part after part, each checked and resumable, and enters the
// library from its first part only once all are in; a damaged part is deleted
// with the part named, and cancelling removes the parts. Parts finished
// before a restart are not fetched again (re-hashed only where their record
// of the check is gone or older than the file), and a half-finished part
// resumes with Range. A gated model needs
// the right token, which never reaches the CDN host; a 429 is retried once
// after its Retry-After; redirects are bounded; the other failures read as
// sentences.
#include "downloads/download_list_model.h"
#include "downloads/download_manager.h"
#include "downloads/hub_client.h"
#include "downloads/hub_file_list_model.h"
#include "downloads/hub_search_model.h"
#include "hub_stand_in.h"
#include "split_model_writer.h"
#include "storage/database.h"
#include "storage/variant_store.h"
#include "test_models.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QAbstractItemModelTester>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <algorithm>
#include <memory>
#include <optional>

using namespace nibble;
using namespace nibble::app;
using namespace std::chrono_literals;
using nibble::test::HubStandIn;

namespace {

constexpr int kTimeoutMs = 60000;
const QString kSmolRepo = QStringLiteral("HuggingFaceTB/SmolLM2-135M-Instruct-GGUF");
const QString kGemmaRepo = QStringLiteral("google/gemma-3-270m-GGUF");
const QString kSplitRepo = QStringLiteral("nibble-test/Split-Model-GGUF");
const QString kDamagedRepo = QStringLiteral("nibble-test/Damaged-GGUF");
const QString kBrokenRepo = QStringLiteral("nibble-test/Broken-JSON-GGUF");
const QString kLoopRepo = QStringLiteral("nibble-test/Loop-GGUF");
const QString kMambaRepo = QStringLiteral("nibble-test/Mamba-GGUF");
const QString kStoriesSplitRepo = QStringLiteral("nibble-test/Stories-Split-GGUF");
const QString kStoriesFirstPart = QStringLiteral("stories-00001-of-00003.gguf");

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

template <typename T>
HubResult<T> wait(const std::function<void(std::function<void(HubResult<T>)>)>& call) {
    std::optional<HubResult<T>> result;
    call([&result](HubResult<T> answer) { result = std::move(answer); });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, kTimeoutMs)) return {std::nullopt, "timed out"};
    return *result;
}

}  // namespace

class TestHub : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<storage::Database> db_;
    QString modelsDir_;
    QByteArray smol_;
    QByteArray gemma_;
    std::unique_ptr<HubStandIn> hub_;
    HubStandIn::File smolFile_;
    HubStandIn::File gemmaFile_;
    HubStandIn::File damagedFile_;
    // stories260K written as three parts, each served by a CDN host of its own.
    QList<QByteArray> storiesParts_;
    QList<HubStandIn::File> storiesPartFiles_;

    DownloadOptions testOptions() const {
        DownloadOptions options;
        options.allowLoopbackHttp = true;
        options.maxAttempts = 4;
        options.firstRetryDelay = 10ms;
        options.maxRetryDelay = 40ms;
        return options;
    }

    std::unique_ptr<DownloadManager> manager(const QString& token = {}) {
        auto result = std::make_unique<DownloadManager>(*db_, ModelCatalog(), modelsDir_, testOptions());
        result->hub().setBaseUrl(hub_->baseUrl());
        result->hub().setAccessToken(token);
        return result;
    }

    QString modelPath(const QString& fileName) const { return QDir(modelsDir_).filePath(fileName); }

    // Downloads and waits for the end; returns the task's last message.
    QString download(DownloadManager& manager, const QString& repo, const QString& fileName, DownloadState expected) {
        QString failure;
        connect(&manager, &DownloadManager::hubDownloadFailed, this,
                [&failure](const QString&, const QString& message) { failure = message; });
        const QString id = manager.downloadFromHub(repo, fileName);
        const bool ended = QTest::qWaitFor(
            [&] {
                const std::optional<DownloadProgress> task = manager.progress(id);
                return !failure.isEmpty() ||
                       (task && (task->state == DownloadState::Finished || task->state == DownloadState::Failed));
            },
            kTimeoutMs);
        manager.disconnect(this);
        if (!ended) return QStringLiteral("timed out");
        if (!failure.isEmpty()) return failure;
        const DownloadProgress task = *manager.progress(id);
        if (task.state != expected) qWarning() << "ended as" << int(task.state) << task.message;
        return task.state == expected ? task.message : QStringLiteral("unexpected end: ") + task.message;
    }

private slots:
    void initTestCase() {
        NIBBLE_REQUIRE_MODEL(smolPath, nibble::test::kSmolLM2);
        NIBBLE_REQUIRE_MODEL(gemmaPath, nibble::test::kGemma3);
        smol_ = readAll(QString::fromStdString(smolPath.string()));
        gemma_ = readAll(QString::fromStdString(gemmaPath.string()));
        QVERIFY(!smol_.isEmpty() && !gemma_.isEmpty());

        hub_ = std::make_unique<HubStandIn>();
        QVERIFY(hub_->listen());
        smolFile_ = HubStandIn::servedFile(nibble::test::kSmolLM2, smol_);
        gemmaFile_ = HubStandIn::servedFile(nibble::test::kGemma3, gemma_);
        // Published with the real checksum, served with one byte changed.
        damagedFile_ = HubStandIn::servedFile(QStringLiteral("Damaged.Q4_1.gguf"), smol_);
        QVERIFY(smolFile_.cdn && gemmaFile_.cdn && damagedFile_.cdn);
        damagedFile_.cdn->serveDamagedContent(true);

        hub_->addRepo({kSmolRepo,
                       90000,
                       150,
                       "2024-11-01T10:00:00.000Z",
                       "apache-2.0",
                       {"conversational"},
                       false,
                       134515008,
                       "llama",
                       {smolFile_},
                       {}});
        hub_->addRepo({kGemmaRepo,
                       50000,
                       400,
                       "2025-08-14T10:00:00.000Z",
                       "gemma",
                       {},
                       true,
                       268098176,
                       "gemma3",
                       {gemmaFile_},
                       {}});
        const HubStandIn::File part1{"Q8_0/Split-Q8_0-00001-of-00002.gguf", 4000, QString(64, 'a'), nullptr};
        const HubStandIn::File part2{"Q8_0/Split-Q8_0-00002-of-00002.gguf", 3000, QString(64, 'b'), nullptr};
        const HubStandIn::File single{"Split-Q4_K_M.gguf", 5000, QString(64, 'c'), nullptr};
        // A split with a part missing cannot be loaded and is not listed.
        const HubStandIn::File orphan{"Split-F16-00001-of-00003.gguf", 9000, QString(64, 'd'), nullptr};
        hub_->addRepo({kSplitRepo,
                       10,
                       1,
                       "2023-01-01T00:00:00.000Z",
                       "mit",
                       {},
                       false,
                       0,
                       {},
                       {part2, single, part1, orphan},
                       {}});
        hub_->addRepo({kDamagedRepo,
                       5,
                       2,
                       "2022-01-01T00:00:00.000Z",
                       "apache-2.0",
                       {},
                       false,
                       0,
                       {},
                       {{damagedFile_.path, damagedFile_.size, smolFile_.sha256, damagedFile_.cdn}},
                       {}});
        hub_->addRepo({kLoopRepo,
                       1,
                       0,
                       "2020-01-01T00:00:00.000Z",
                       "mit",
                       {},
                       false,
                       0,
                       {},
                       {{smolFile_.path, smolFile_.size, smolFile_.sha256, smolFile_.cdn}},
                       {},
                       true});
        hub_->addRepo({kMambaRepo,
                       3,
                       0,
                       "2019-01-01T00:00:00.000Z",
                       "apache-2.0",
                       {},
                       false,
                       130000000,
                       "mamba",
                       {{smolFile_.path, smolFile_.size, smolFile_.sha256, smolFile_.cdn}},
                       {}});
        NIBBLE_REQUIRE_MODEL(storiesPath, nibble::test::kStories);
        const QString splitDir = dir_.filePath(QStringLiteral("split-source"));
        QVERIFY(QDir().mkpath(splitDir));
        nibble::test::writeSplit(storiesPath, splitDir.toStdString(), "stories", 3);
        QList<HubStandIn::File> published;
        for (int part = 1; part <= 3; ++part) {
            const QString name = QStringLiteral("stories-%1-of-00003.gguf").arg(part, 5, 10, QLatin1Char('0'));
            storiesParts_.append(readAll(QDir(splitDir).filePath(name)));
            QVERIFY(!storiesParts_.last().isEmpty());
            storiesPartFiles_.append(HubStandIn::servedFile(name, storiesParts_.last()));
            QVERIFY(storiesPartFiles_.last().cdn);
        }
        // Listed out of order, as the Hub may.
        hub_->addRepo({kStoriesSplitRepo,
                       2,
                       0,
                       "2018-01-01T00:00:00.000Z",
                       "mit",
                       {},
                       false,
                       0,
                       "llama",
                       {storiesPartFiles_.at(2), storiesPartFiles_.at(0), storiesPartFiles_.at(1)},
                       {}});
        hub_->addRepo({kBrokenRepo, 1, 0, "2021-01-01T00:00:00.000Z", {}, {}, false, 0, {}, {}, "{\"id\": [broken"});
    }

    void init() {
        QVERIFY(dir_.isValid());
        // Each test starts with an empty models folder and library.
        const QString root = dir_.filePath(QString::number(QRandomGenerator::global()->generate()));
        QVERIFY(QDir().mkpath(root));
        modelsDir_ = QDir(root).filePath("models");
        db_ = std::make_unique<storage::Database>(storage::Database::open(QDir(root).filePath("nibble.db")));
    }

    void cleanup() { db_.reset(); }

    void quantizationFromFileName_data() {
        QTest::addColumn<QString>("fileName");
        QTest::addColumn<QString>("type");
        QTest::newRow("llama") << "Llama-3.2-1B-Instruct-Q4_K_M.gguf"
                               << "Q4_K_M";
        QTest::newRow("dotted") << "SmolLM2-135M-Instruct.Q4_1.gguf"
                                << "Q4_1";
        QTest::newRow("lower") << "gemma-3-270m-q4_k_m.gguf"
                               << "Q4_K_M";
        QTest::newRow("i-quant") << "Qwen3-4B-IQ2_XXS.gguf"
                                 << "IQ2_XXS";
        QTest::newRow("bf16") << "phi-4-mini-instruct-BF16.gguf"
                              << "BF16";
        QTest::newRow("split") << "Mistral-7B-Instruct-Q8_0-00001-of-00003.gguf"
                               << "Q8_0";
        QTest::newRow("folder") << "Q8_0/model-f16.gguf"
                                << "F16";
        QTest::newRow("none") << "stories260K.gguf"
                              << "";
    }

    void quantizationFromFileName() {
        QFETCH(QString, fileName);
        QFETCH(QString, type);
        QCOMPARE(app::quantizationFromFileName(fileName), type);
    }

    void searchFindsGgufModelsInTheAskedOrder() {
        QNetworkAccessManager network;
        HubClient client(network);
        client.setBaseUrl(hub_->baseUrl());
        const auto byDownloads = wait<QList<HubModel>>(
            [&](auto done) { client.searchModels(QStringLiteral("gguf"), HubSort::Downloads, 3, std::move(done)); });
        QVERIFY2(byDownloads.value, qPrintable(byDownloads.error));
        QCOMPARE(byDownloads.value->size(), 3);
        QCOMPARE(byDownloads.value->at(0).repo, kSmolRepo);
        QCOMPARE(byDownloads.value->at(1).repo, kGemmaRepo);
        const QByteArray asked = hub_->requests().last().path;
        for (const char* part : {"filter=gguf", "sort=downloads", "direction=-1", "limit=3", "full=true"})
            QVERIFY2(asked.contains(part), asked.constData());

        const HubModel& smol = byDownloads.value->at(0);
        QCOMPARE(smol.author, QStringLiteral("HuggingFaceTB"));
        QCOMPARE(smol.license, QStringLiteral("apache-2.0"));
        QVERIFY(smol.instruct);
        QVERIFY(!smol.gated);
        QCOMPARE(smol.parameters, 134515008);
        QCOMPARE(smol.architecture, QStringLiteral("llama"));
        QCOMPARE(smol.downloads, 90000);
        QCOMPARE(smol.lastModified, QDateTime(QDate(2024, 11, 1), QTime(10, 0), QTimeZone::utc()));
        // Gemma 3 270M is the base model: neither tagged nor named for chat.
        const HubModel& gemma = byDownloads.value->at(1);
        QVERIFY(!gemma.instruct);
        QVERIFY(gemma.gated);
        QCOMPARE(gemma.license, QStringLiteral("gemma"));

        const auto byLikes = wait<QList<HubModel>>(
            [&](auto done) { client.searchModels(QStringLiteral("GGUF"), HubSort::Likes, 10, std::move(done)); });
        QVERIFY2(byLikes.value, qPrintable(byLikes.error));
        QCOMPARE(byLikes.value->size(), 8);
        QCOMPARE(byLikes.value->at(0).repo, kGemmaRepo);
        QVERIFY(hub_->requests().last().path.contains("sort=likes"));

        const auto recent = wait<QList<HubModel>>([&](auto done) {
            client.searchModels(QStringLiteral("nibble-test"), HubSort::LastModified, 10, std::move(done));
        });
        QVERIFY2(recent.value, qPrintable(recent.error));
        QCOMPARE(recent.value->size(), 6);
        QCOMPARE(recent.value->at(0).repo, kSplitRepo);

        const auto none = wait<QList<HubModel>>([&](auto done) {
            client.searchModels(QStringLiteral("no such model"), HubSort::Downloads, 10, std::move(done));
        });
        QVERIFY(none.value && none.value->isEmpty());
        // A '+' in the search is one, not a space.
        const auto plus = wait<QList<HubModel>>([&](auto done) {
            client.searchModels(QStringLiteral("c++ & co"), HubSort::Downloads, 10, std::move(done));
        });
        QVERIFY(plus.value);
        QVERIFY2(hub_->requests().last().path.contains("search=c%2B%2B%20%26%20co&"),
                 hub_->requests().last().path.constData());
    }

    void fileListGivesSizesChecksumsAndTypes() {
        QNetworkAccessManager network;
        HubClient client(network);
        client.setBaseUrl(hub_->baseUrl());
        const auto smol = wait<HubModelFiles>([&](auto done) { client.listFiles(kSmolRepo, std::move(done)); });
        QVERIFY2(smol.value, qPrintable(smol.error));
        QVERIFY(hub_->requests().last().path.endsWith("/api/models/" + kSmolRepo.toUtf8() + "?blobs=true"));
        QCOMPARE(smol.value->model.license, QStringLiteral("apache-2.0"));
        // README.md is not a model file.
        QCOMPARE(smol.value->files.size(), 1);
        const HubFile& file = smol.value->files.first();
        QCOMPARE(file.fileName, QString::fromLatin1(nibble::test::kSmolLM2));
        QCOMPARE(file.sizeBytes, qint64(smol_.size()));
        QCOMPARE(file.partSha256, QStringList{smolFile_.sha256});
        QCOMPARE(file.quantization, QStringLiteral("Q4_1"));
        QVERIFY(!file.isSplit());

        const auto split = wait<HubModelFiles>([&](auto done) { client.listFiles(kSplitRepo, std::move(done)); });
        QVERIFY2(split.value, qPrintable(split.error));
        QCOMPARE(split.value->files.size(), 2);
        const HubFile& whole = split.value->files.at(0);
        QCOMPARE(whole.parts,
                 (QStringList{"Q8_0/Split-Q8_0-00001-of-00002.gguf", "Q8_0/Split-Q8_0-00002-of-00002.gguf"}));
        QCOMPARE(whole.sizeBytes, 7000);
        QCOMPARE(whole.partSha256, (QStringList{QString(64, 'a'), QString(64, 'b')}));
        QCOMPARE(whole.quantization, QStringLiteral("Q8_0"));
        QCOMPARE(split.value->files.at(1).fileName, QStringLiteral("Split-Q4_K_M.gguf"));
        QCOMPARE(split.value->files.at(1).quantization, QStringLiteral("Q4_K_M"));
    }

    void errorsReadAsSentences() {
        QNetworkAccessManager network;
        HubClient client(network);
        client.setBaseUrl(hub_->baseUrl());
        const auto missing = wait<HubModelFiles>(
            [&](auto done) { client.listFiles(QStringLiteral("nobody/Nothing-GGUF"), std::move(done)); });
        QVERIFY(!missing.value);
        QVERIFY2(missing.error.contains("renamed or removed"), qPrintable(missing.error));

        const auto broken = wait<HubModelFiles>([&](auto done) { client.listFiles(kBrokenRepo, std::move(done)); });
        QVERIFY(!broken.value);
        QVERIFY2(broken.error.contains("does not understand"), qPrintable(broken.error));

        // Nothing listens on a port just closed.
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        client.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
        const auto down = wait<QList<HubModel>>(
            [&](auto done) { client.searchModels(QStringLiteral("x"), HubSort::Downloads, 5, std::move(done)); });
        QVERIFY(!down.value);
        QVERIFY2(down.error.contains("Can't reach 127.0.0.1"), qPrintable(down.error));
    }

    void rateLimitIsRetriedOnceAfterItsDelay() {
        QNetworkAccessManager network;
        HubClient client(network);
        client.setBaseUrl(hub_->baseUrl());
        hub_->rateLimit(1, 1);
        const qsizetype before = hub_->requests().size();
        QElapsedTimer clock;
        clock.start();
        const auto retried = wait<QList<HubModel>>(
            [&](auto done) { client.searchModels(QStringLiteral("smol"), HubSort::Downloads, 5, std::move(done)); });
        QVERIFY2(retried.value, qPrintable(retried.error));
        QCOMPARE(retried.value->size(), 1);
        QVERIFY2(clock.elapsed() >= 900, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(hub_->requests().size() - before, 2);

        // A long Retry-After is cut short, and a second 429 ends in words.
        client.setMaxRetryAfter(200ms);
        hub_->rateLimit(2, 3600);
        clock.restart();
        const auto limited = wait<QList<HubModel>>(
            [&](auto done) { client.searchModels(QStringLiteral("smol"), HubSort::Downloads, 5, std::move(done)); });
        QVERIFY(!limited.value);
        QVERIFY2(limited.error.contains("limiting how often"), qPrintable(limited.error));
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(hub_->requests().size() - before, 4);
        hub_->rateLimit(0, 1);
    }

    void parametersText() {
        QCOMPARE(app::parametersText(0), QString());
        QCOMPARE(app::parametersText(260'000), QStringLiteral("260K"));
        QCOMPARE(app::parametersText(134'515'008), QStringLiteral("135M"));
        QCOMPARE(app::parametersText(1'711'376'384), QStringLiteral("1.7B"));
        QCOMPARE(app::parametersText(70'553'706'496), QStringLiteral("71B"));
    }

    void searchModelListsResultsForQml() {
        QNetworkAccessManager network;
        HubClient client(network);
        client.setBaseUrl(hub_->baseUrl());
        HubSearchModel model(client);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.search(QStringLiteral(" GGUF "));
        QVERIFY(model.busy());
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), kTimeoutMs);
        QVERIFY2(model.error().isEmpty(), qPrintable(model.error()));
        QCOMPARE(model.query(), QStringLiteral("GGUF"));
        QCOMPARE(model.rowCount(), 8);
        const QModelIndex first = model.index(0);
        QCOMPARE(first.data(HubSearchModel::RepoRole).toString(), kSmolRepo);
        QCOMPARE(first.data(HubSearchModel::ParametersTextRole).toString(), QStringLiteral("135M"));
        QCOMPARE(first.data(HubSearchModel::InstructRole).toBool(), true);
        QCOMPARE(first.data(HubSearchModel::LicenseRole).toString(), QStringLiteral("apache-2.0"));
        QCOMPARE(model.roleNames().value(HubSearchModel::GatedRole), QByteArray("gated"));

        // A new order searches again.
        model.setSort(QStringLiteral("likes"));
        QCOMPARE(model.sort(), QStringLiteral("likes"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), kTimeoutMs);
        QCOMPARE(model.index(0).data(HubSearchModel::RepoRole).toString(), kGemmaRepo);
        QCOMPARE(model.index(0).data(HubSearchModel::GatedRole).toBool(), true);
        QVERIFY(hub_->requests().last().path.contains("sort=likes"));

        // Only the latest search's answer shows.
        model.search(QStringLiteral("smol"));
        model.search(QStringLiteral("gemma"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), kTimeoutMs);
        QTest::qWait(200);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.index(0).data(HubSearchModel::RepoRole).toString(), kGemmaRepo);

        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        client.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closed.serverPort())));
        closed.close();
        model.search(QStringLiteral("smol"));
        QTRY_VERIFY_WITH_TIMEOUT(!model.busy(), kTimeoutMs);
        QVERIFY2(model.error().contains("Can't reach"), qPrintable(model.error()));
        QCOMPARE(model.rowCount(), 0);
    }

    void searchListDownloadVerify() {
        auto downloads = manager();
        const auto found = wait<QList<HubModel>>([&](auto done) {
            downloads->hub().searchModels(QStringLiteral("SmolLM2"), HubSort::Downloads, 10, std::move(done));
        });
        QVERIFY2(found.value && found.value->size() == 1, qPrintable(found.error));
        const auto files = wait<HubModelFiles>(
            [&](auto done) { downloads->hub().listFiles(found.value->first().repo, std::move(done)); });
        QVERIFY2(files.value, qPrintable(files.error));
        const QString fileName = files.value->files.first().fileName;

        QSignalSpy added(downloads.get(), &DownloadManager::modelAdded);
        const QString message = download(*downloads, kSmolRepo, fileName, DownloadState::Finished);
        QVERIFY2(message.isEmpty(), qPrintable(message));
        QCOMPARE(readAll(modelPath(fileName)), smol_);
        QVERIFY(!QFile::exists(modelPath(fileName) + ".part"));
        // The request went to the Hub's resolve URL, which sent it on to the CDN host.
        QVERIFY(hub_->requests().last().path.endsWith("/" + kSmolRepo.toUtf8() + "/resolve/main/" + fileName.toUtf8()));
        QCOMPARE(smolFile_.cdn->rangeHeaders().size(), 1);

        QTRY_COMPARE_WITH_TIMEOUT(added.size(), 1, kTimeoutMs);
        const auto variant = storage::VariantStore(*db_).findByPath(QFileInfo(modelPath(fileName)).canonicalFilePath());
        QVERIFY(variant.has_value());
        QCOMPARE(variant->origin, storage::VariantOrigin::Downloaded);
        QCOMPARE(variant->sha256, smolFile_.sha256);
        QCOMPARE(added.first().at(0).toString(), DownloadManager::hubDownloadId(kSmolRepo, fileName));
    }

    void resumesAfterDroppedConnectionAndRestart() {
        const QString fileName = smolFile_.path;
        const qsizetype before = smolFile_.cdn->rangeHeaders().size();
        smolFile_.cdn->dropNextResponseAfter(smol_.size() / 3);
        {
            auto downloads = manager();
            const QString message = download(*downloads, kSmolRepo, fileName, DownloadState::Finished);
            QVERIFY2(message.isEmpty(), qPrintable(message));
        }
        QCOMPARE(readAll(modelPath(fileName)), smol_);
        const QList<QByteArray> ranges = smolFile_.cdn->rangeHeaders().mid(before);
        QVERIFY2(ranges.size() >= 2, qPrintable(QString::number(ranges.size())));
        QCOMPARE(ranges.at(0), QByteArray());
        QCOMPARE(ranges.at(1), "bytes=" + QByteArray::number(smol_.size() / 3) + '-');

        // A part file left by an earlier run continues where it ends.
        QVERIFY(QFile::remove(modelPath(fileName)));
        QFile part(modelPath(fileName) + ".part");
        QVERIFY(part.open(QIODevice::WriteOnly));
        part.write(smol_.left(smol_.size() / 2));
        part.close();
        auto restarted = manager();
        const QString message = download(*restarted, kSmolRepo, fileName, DownloadState::Finished);
        QVERIFY2(message.isEmpty(), qPrintable(message));
        QCOMPARE(readAll(modelPath(fileName)), smol_);
        QCOMPARE(smolFile_.cdn->rangeHeaders().last(), "bytes=" + QByteArray::number(smol_.size() / 2) + '-');
    }

    void checksumMismatchDeletesTheFile() {
        auto downloads = manager();
        const QString message = download(*downloads, kDamagedRepo, damagedFile_.path, DownloadState::Failed);
        QVERIFY2(message.contains("checksum does not match the one Hugging Face publishes"), qPrintable(message));
        QVERIFY2(message.contains("deleted"), qPrintable(message));
        QVERIFY(!QFile::exists(modelPath(damagedFile_.path)));
        QVERIFY(!QFile::exists(modelPath(damagedFile_.path) + ".part"));
    }

    void gatedModelNeedsTheRightToken() {
        const QString fileName = gemmaFile_.path;
        for (const QString& token : {QString(), QStringLiteral("hf_wrong_token")}) {
            auto downloads = manager(token);
            const QString message = download(*downloads, kGemmaRepo, fileName, DownloadState::Failed);
            QCOMPARE(message, HubClient::gatedMessage());
            QVERIFY(!QFile::exists(modelPath(fileName)));
            QCOMPARE(hub_->requests().last().authorization,
                     token.isEmpty() ? QByteArray() : "Bearer " + token.toUtf8());
        }
        QCOMPARE(gemmaFile_.cdn->rangeHeaders().size(), 0);

        auto downloads = manager(QString::fromLatin1(HubStandIn::kGoodToken));
        const QString message = download(*downloads, kGemmaRepo, fileName, DownloadState::Finished);
        QVERIFY2(message.isEmpty(), qPrintable(message));
        QCOMPARE(readAll(modelPath(fileName)), gemma_);
        QCOMPARE(hub_->requests().last().authorization, QByteArray("Bearer ") + HubStandIn::kGoodToken);
        // The token is for the Hub alone: the CDN host it redirects to never sees it.
        QCOMPARE(gemmaFile_.cdn->authorizationHeaders(), QList<QByteArray>{QByteArray()});
    }

    void redirectsAreBounded() {
        auto downloads = manager();
        const qsizetype before = hub_->requests().size();
        const QString message = download(*downloads, kLoopRepo, smolFile_.path, DownloadState::Failed);
        QVERIFY2(message.contains("too many redirects"), qPrintable(message));
        // The file list, then the file's URL and each redirect the limit allows.
        QCOMPARE(hub_->requests().size() - before, 1 + 1 + kMaxDownloadRedirects);
    }

    void splitModelDownloadsEveryPartThenEntersTheLibrary() {
        auto downloads = manager();
        const QString id = DownloadManager::hubDownloadId(kStoriesSplitRepo, kStoriesFirstPart);
        qint64 total = 0;
        for (const QByteArray& part : storiesParts_) total += part.size();
        QStringList messages;
        bool addedBeforeTheLastPart = false;
        QSignalSpy added(downloads.get(), &DownloadManager::modelAdded);
        connect(downloads.get(), &DownloadManager::stateChanged, this, [&](const QString& changed) {
            const std::optional<DownloadProgress> now = downloads->progress(changed);
            if (changed != id || !now) return;
            if (!messages.contains(now->message)) messages.append(now->message);
            QCOMPARE(now->totalBytes, total);
            if (!QFile::exists(modelPath(storiesPartFiles_.at(2).path))) addedBeforeTheLastPart |= !added.isEmpty();
        });
        // The second part's connection drops halfway: it resumes from there.
        const qsizetype before = storiesPartFiles_.at(1).cdn->rangeHeaders().size();
        storiesPartFiles_.at(1).cdn->dropNextResponseAfter(storiesParts_.at(1).size() / 2);

        const QString message = download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Finished);
        QVERIFY2(message.isEmpty(), qPrintable(message));
        for (int part = 0; part < 3; ++part) {
            QCOMPARE(readAll(modelPath(storiesPartFiles_.at(part).path)), storiesParts_.at(part));
            QVERIFY(!QFile::exists(modelPath(storiesPartFiles_.at(part).path) + ".part"));
        }
        const QList<QByteArray> ranges = storiesPartFiles_.at(1).cdn->rangeHeaders().mid(before);
        QVERIFY2(ranges.size() >= 2, qPrintable(QString::number(ranges.size())));
        QCOMPARE(ranges.at(1), "bytes=" + QByteArray::number(storiesParts_.at(1).size() / 2) + '-');
        const auto statusWith = [&](const QString& text) {
            return std::any_of(messages.begin(), messages.end(), [&](const QString& m) { return m.contains(text); });
        };
        QVERIFY2(statusWith("part 1 of 3") && statusWith("part 2 of 3") && statusWith("part 3 of 3"),
                 qPrintable(messages.join(" | ")));
        const DownloadProgress done = *downloads->progress(id);
        QCOMPARE(done.receivedBytes, total);
        QCOMPARE(done.totalBytes, total);

        QTRY_COMPARE_WITH_TIMEOUT(added.size(), 1, kTimeoutMs);
        QVERIFY(!addedBeforeTheLastPart);
        QCOMPARE(added.first().at(0).toString(), id);
        const auto variant =
            storage::VariantStore(*db_).findByPath(QFileInfo(modelPath(kStoriesFirstPart)).canonicalFilePath());
        QVERIFY(variant.has_value());
        QCOMPARE(variant->sha256, storiesPartFiles_.at(0).sha256);
        QVERIFY(downloads->isInLibrary(id));
    }

    void damagedSecondPartIsDeletedAndNamed() {
        auto downloads = manager();
        const QString id = DownloadManager::hubDownloadId(kStoriesSplitRepo, kStoriesFirstPart);
        QSignalSpy added(downloads.get(), &DownloadManager::modelAdded);
        storiesPartFiles_.at(1).cdn->serveDamagedContent(true);
        const QString message =
            download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Failed);
        storiesPartFiles_.at(1).cdn->serveDamagedContent(false);
        QVERIFY2(message.startsWith("Part 2 of 3:"), qPrintable(message));
        QVERIFY2(message.contains("checksum does not match the one Hugging Face publishes"), qPrintable(message));
        QVERIFY(!QFile::exists(modelPath(storiesPartFiles_.at(1).path)));
        QVERIFY(!QFile::exists(modelPath(storiesPartFiles_.at(1).path) + ".part"));
        QVERIFY(!QFile::exists(modelPath(storiesPartFiles_.at(2).path)));
        // The first part is in, but no model is in the library.
        QCOMPARE(readAll(modelPath(kStoriesFirstPart)), storiesParts_.at(0));
        QCOMPARE(added.size(), 0);
        QVERIFY(!storage::VariantStore(*db_)
                     .findByPath(QFileInfo(modelPath(kStoriesFirstPart)).canonicalFilePath())
                     .has_value());
        QVERIFY(!downloads->isInLibrary(id));

        // Trying again fetches only what is missing.
        const qsizetype firstPartRequests = storiesPartFiles_.at(0).cdn->rangeHeaders().size();
        downloads->downloadFromHub(kStoriesSplitRepo, kStoriesFirstPart);
        QTRY_COMPARE_WITH_TIMEOUT(downloads->progress(id)->state, DownloadState::Finished, kTimeoutMs);
        QCOMPARE(storiesPartFiles_.at(0).cdn->rangeHeaders().size(), firstPartRequests);
        QCOMPARE(readAll(modelPath(storiesPartFiles_.at(1).path)), storiesParts_.at(1));
        QTRY_COMPARE_WITH_TIMEOUT(added.size(), 1, kTimeoutMs);
    }

    void splitPartsFinishedBeforeARestartAreNotFetchedAgain() {
        const QString id = DownloadManager::hubDownloadId(kStoriesSplitRepo, kStoriesFirstPart);
        const HubStandIn::File& first = storiesPartFiles_.at(0);
        const HubStandIn::File& second = storiesPartFiles_.at(1);
        const qint64 firstServed = first.cdn->bytesServed();
        {
            auto downloads = manager();
            // The second part trickles in, so the app "quits" in the middle of it.
            second.cdn->trickle(4096, 20);
            downloads->downloadFromHub(kStoriesSplitRepo, kStoriesFirstPart);
            QTRY_VERIFY_WITH_TIMEOUT(downloads->task(id + "#2") && downloads->task(id + "#2")->receivedBytes() > 0,
                                     kTimeoutMs);
            second.cdn->trickle(0, 0);
        }
        QCOMPARE(first.cdn->bytesServed() - firstServed, first.size);
        QCOMPARE(readAll(modelPath(first.path)), storiesParts_.at(0));
        QVERIFY(QFile::exists(modelPath(first.path) + ".sha256"));
        const qint64 resumeAt = QFileInfo(modelPath(second.path) + ".part").size();
        QVERIFY2(resumeAt > 0 && resumeAt < second.size, qPrintable(QString::number(resumeAt)));

        const qint64 firstBefore = first.cdn->bytesServed();
        const qsizetype firstRequests = first.cdn->rangeHeaders().size();
        const qint64 secondBefore = second.cdn->bytesServed();
        auto downloads = manager();
        QSignalSpy added(downloads.get(), &DownloadManager::modelAdded);
        const QString message = download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Finished);
        QVERIFY2(message.isEmpty(), qPrintable(message));
        QCOMPARE(first.cdn->bytesServed(), firstBefore);
        QCOMPARE(first.cdn->rangeHeaders().size(), firstRequests);
        QCOMPARE(second.cdn->rangeHeaders().last(), "bytes=" + QByteArray::number(resumeAt) + '-');
        QCOMPARE(second.cdn->bytesServed() - secondBefore, second.size - resumeAt);
        for (int part = 0; part < 3; ++part) {
            QCOMPARE(readAll(modelPath(storiesPartFiles_.at(part).path)), storiesParts_.at(part));
            // In the library, the parts keep no record of their check.
            QVERIFY(!QFile::exists(modelPath(storiesPartFiles_.at(part).path) + ".sha256"));
        }
        QTRY_COMPARE_WITH_TIMEOUT(added.size(), 1, kTimeoutMs);
        QCOMPARE(added.first().at(0).toString(), id);
        QVERIFY(storage::VariantStore(*db_)
                    .findByPath(QFileInfo(modelPath(kStoriesFirstPart)).canonicalFilePath())
                    .has_value());
    }

    void aFinishedPartWithoutItsRecordIsHashedAgain() {
        const QString id = DownloadManager::hubDownloadId(kStoriesSplitRepo, kStoriesFirstPart);
        const HubStandIn::File& first = storiesPartFiles_.at(0);
        const auto partOneDoneThenFailed = [&] {
            auto downloads = manager();
            storiesPartFiles_.at(1).cdn->serveDamagedContent(true);
            const QString message = download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Failed);
            storiesPartFiles_.at(1).cdn->serveDamagedContent(false);
            QVERIFY2(message.startsWith("Part 2 of 3:"), qPrintable(message));
            QVERIFY(QFile::exists(modelPath(first.path) + ".sha256"));
        };
        // The record is lost: the part is hashed again, not fetched.
        partOneDoneThenFailed();
        QVERIFY(QFile::remove(modelPath(first.path) + ".sha256"));
        qint64 before = first.cdn->bytesServed();
        {
            auto downloads = manager();
            const QString message =
                download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Finished);
            QVERIFY2(message.isEmpty(), qPrintable(message));
            QCOMPARE(first.cdn->bytesServed(), before);
            QCOMPARE(readAll(modelPath(first.path)), storiesParts_.at(0));
        }

        // Written to after its check (same size, newer than its record): the
        // sha256 finds the damage and names the part.
        init();
        partOneDoneThenFailed();
        QTest::qWait(1100);  // file times may count whole seconds
        QFile file(modelPath(first.path));
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.seek(first.size / 2));
        QVERIFY(file.write("x", 1) == 1);
        file.close();
        before = first.cdn->bytesServed();
        auto downloads = manager();
        const QString message = download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Failed);
        QVERIFY2(message.startsWith("Part 1 of 3:") && message.contains("checksum does not match"),
                 qPrintable(message));
        QCOMPARE(first.cdn->bytesServed(), before);
        QVERIFY(!QFile::exists(modelPath(first.path)));
        QVERIFY(!QFile::exists(modelPath(first.path) + ".part"));
        QVERIFY(!downloads->isInLibrary(id));
    }

    void cancelledSplitLeavesNoParts() {
        auto downloads = manager();
        const QString id = DownloadManager::hubDownloadId(kStoriesSplitRepo, kStoriesFirstPart);
        QSignalSpy added(downloads.get(), &DownloadManager::modelAdded);
        storiesPartFiles_.at(2).cdn->serveDamagedContent(true);
        const QString message =
            download(*downloads, kStoriesSplitRepo, kStoriesFirstPart, DownloadState::Failed);
        storiesPartFiles_.at(2).cdn->serveDamagedContent(false);
        QVERIFY2(message.startsWith("Part 3 of 3:"), qPrintable(message));
        QVERIFY(QFile::exists(modelPath(storiesPartFiles_.at(1).path)));
        downloads->cancel(id);
        QCOMPARE(downloads->progress(id)->state, DownloadState::Idle);
        for (const HubStandIn::File& part : storiesPartFiles_) {
            QVERIFY(!QFile::exists(modelPath(part.path)));
            QVERIFY(!QFile::exists(modelPath(part.path) + ".part"));
            QVERIFY(!QFile::exists(modelPath(part.path) + ".sha256"));
        }
        QCOMPARE(added.size(), 0);
        QVERIFY(!downloads->isInLibrary(id));
    }

    void unsupportedArchitectureIsRefusedBeforeDownloading() {
        auto downloads = manager();
        const qsizetype before = smolFile_.cdn->rangeHeaders().size();
        const QString message = download(*downloads, kMambaRepo, smolFile_.path, DownloadState::Failed);
        QVERIFY2(message.contains("\"mamba\"") && message.contains("cannot run"), qPrintable(message));
        QCOMPARE(smolFile_.cdn->rangeHeaders().size(), before);
        HubSearchModel search(downloads->hub());
        search.search(QStringLiteral("mamba"));
        QTRY_VERIFY_WITH_TIMEOUT(!search.busy(), kTimeoutMs);
        QCOMPARE(search.rowCount(), 1);
        QCOMPARE(search.data(search.index(0), HubSearchModel::SupportedRole).toBool(), false);
    }

    // A catalog model names repo and file only: its size and checksum come
    // from the Hub, and its card says what the model needs.
    QByteArray smolCatalog() const {
        return QStringLiteral(R"({"schema": 2, "models": [{
            "id": "smol", "name": "SmolLM2 135M Instruct", "repo": "%1", "architecture": "llama",
            "purpose": "Tests.", "license": "Apache-2.0", "parameters": 134515008, "instruct": true,
            "layers": 30, "kvHeads": 3, "headDim": 64, "contextLength": 8192,
            "files": [{"fileName": "%2", "precision": "Q4_1", "bits": 4},
                      {"fileName": "SmolLM2-135M-Instruct.Q8_0.gguf", "precision": "Q8_0", "bits": 8}]}]})")
            .arg(kSmolRepo, smolFile_.path)
            .toUtf8();
    }

    void catalogDownloadTakesSizeAndChecksumFromTheHub() {
        DownloadManager downloads(*db_, ModelCatalog::parse(smolCatalog()), modelsDir_, testOptions());
        downloads.setHubBaseUrl(hub_->baseUrl());
        // 30 layers x 3 heads x 128 values x 4 bytes x 4096 tokens = 180 MiB of cache.
        DownloadListModel list(downloads, qint64(150) * 1000 * 1000);
        QAbstractItemModelTester tester(&list);
        QCOMPARE(list.rowCount(), 2);
        const QModelIndex row = list.index(0);
        const QString id = list.data(row, DownloadListModel::EntryIdRole).toString();
        QCOMPARE(id, DownloadManager::hubDownloadId(kSmolRepo, smolFile_.path));
        QVERIFY2(list.data(row, DownloadListModel::SizeTextRole).toString().startsWith("about"),
                 qPrintable(list.data(row, DownloadListModel::SizeTextRole).toString()));
        QCOMPARE(list.data(row, DownloadListModel::StateRole).toString(), QStringLiteral("idle"));
        QCOMPARE(list.data(row, DownloadListModel::FitsRole).toBool(), false);
        QVERIFY2(list.data(row, DownloadListModel::FitTextRole).toString().contains("150.0 MB free"),
                 qPrintable(list.data(row, DownloadListModel::FitTextRole).toString()));
        // No speed estimate until the memory read rate is known, then one for every row.
        QCOMPARE(list.data(row, DownloadListModel::SpeedEstimateTextRole).toString(), QString());
        QSignalSpy estimated(&list, &QAbstractItemModel::dataChanged);
        list.setMemoryReadBandwidth(20e9);
        QCOMPARE(estimated.size(), 1);
        QVERIFY2(list.data(list.index(1), DownloadListModel::SpeedEstimateTextRole).toString().endsWith(
                     "tokens/s on this computer's processor"),
                 qPrintable(list.data(list.index(1), DownloadListModel::SpeedEstimateTextRole).toString()));

        QSignalSpy added(&downloads, &DownloadManager::modelAdded);
        list.download(id);
        QCOMPARE(list.data(row, DownloadListModel::StateRole).toString(), QStringLiteral("preparing"));
        QTRY_COMPARE_WITH_TIMEOUT(added.size(), 1, kTimeoutMs);
        QCOMPARE(downloads.task(id)->file().sha256, smolFile_.sha256);
        QCOMPARE(readAll(modelPath(smolFile_.path)), smol_);
        QTRY_COMPARE_WITH_TIMEOUT(list.data(row, DownloadListModel::InLibraryRole).toBool(), true, kTimeoutMs);
        QCOMPARE(list.data(row, DownloadListModel::StateRole).toString(), QStringLiteral("finished"));
        // The Hub's exact size now, and the memory with it.
        QCOMPARE(list.data(row, DownloadListModel::SizeTextRole).toString(),
                 QLocale().formattedDataSize(smol_.size(), 1, QLocale::DataSizeSIFormat));
        const QString memory = list.data(row, DownloadListModel::MemoryTextRole).toString();
        QVERIFY2(memory.contains(QLocale().formattedDataSize(smol_.size() + 30LL * 3 * 128 * 4 * 4096, 1,
                                                             QLocale::DataSizeSIFormat)),
                 qPrintable(memory));

        // The 8-bit file is not on the stand-in: the card says so in words.
        const QString missing = list.data(list.index(1), DownloadListModel::EntryIdRole).toString();
        list.download(missing);
        QTRY_COMPARE_WITH_TIMEOUT(list.data(list.index(1), DownloadListModel::StateRole).toString(),
                                  QStringLiteral("failed"), kTimeoutMs);
        QVERIFY2(list.data(list.index(1), DownloadListModel::MessageRole).toString().contains("no longer lists"),
                 qPrintable(list.data(list.index(1), DownloadListModel::MessageRole).toString()));
    }

    // A part file an earlier run left shows as paused, and Resume asks the
    // Hub again and continues it from where it stopped.
    void catalogPartFileFromAnEarlierRunResumes() {
        QVERIFY(QDir().mkpath(modelsDir_));
        const qsizetype kept = smol_.size() / 3;
        {
            QFile part(modelPath(smolFile_.path) + ".part");
            QVERIFY(part.open(QIODevice::WriteOnly));
            part.write(smol_.left(kept));
        }
        DownloadManager downloads(*db_, ModelCatalog::parse(smolCatalog()), modelsDir_, testOptions());
        downloads.setHubBaseUrl(hub_->baseUrl());
        DownloadListModel list(downloads, std::nullopt);
        const QModelIndex row = list.index(0);
        QCOMPARE(list.data(row, DownloadListModel::StateRole).toString(), QStringLiteral("paused"));
        QVERIFY(list.data(row, DownloadListModel::ProgressRole).toDouble() > 0.2);
        QCOMPARE(list.data(row, DownloadListModel::FitsRole).toBool(), true);  // nothing known: not held back

        const qsizetype before = smolFile_.cdn->rangeHeaders().size();
        list.resume(list.data(row, DownloadListModel::EntryIdRole).toString());
        QTRY_COMPARE_WITH_TIMEOUT(list.data(row, DownloadListModel::StateRole).toString(), QStringLiteral("finished"),
                                  kTimeoutMs);
        QCOMPARE(readAll(modelPath(smolFile_.path)), smol_);
        QCOMPARE(smolFile_.cdn->rangeHeaders().mid(before).first(), "bytes=" + QByteArray::number(kept) + '-');
    }

    void fileListModelDownloadsFromTheOpenRepository() {
        auto downloads = manager();
        HubFileListModel files(*downloads);
        QAbstractItemModelTester tester(&files);
        files.open(kSplitRepo);
        QTRY_VERIFY_WITH_TIMEOUT(!files.busy(), kTimeoutMs);
        QCOMPARE(files.rowCount(), 2);
        QCOMPARE(files.data(files.index(0), HubFileListModel::PartsRole).toInt(), 2);
        QCOMPARE(files.data(files.index(0), HubFileListModel::BitsRole).toString(), QStringLiteral("8-bit"));

        files.open(kSmolRepo);
        QVERIFY(files.busy());
        QTRY_VERIFY_WITH_TIMEOUT(!files.busy(), kTimeoutMs);
        QVERIFY2(files.error().isEmpty(), qPrintable(files.error()));
        QCOMPARE(files.rowCount(), 1);
        QCOMPARE(files.data(files.index(0), HubFileListModel::QuantizationRole).toString(), QStringLiteral("Q4_1"));
        QCOMPARE(files.data(files.index(0), HubFileListModel::SizeTextRole).toString(),
                 QLocale().formattedDataSize(smol_.size(), 1, QLocale::DataSizeSIFormat));
        files.download(smolFile_.path);
        QTRY_COMPARE_WITH_TIMEOUT(files.data(files.index(0), HubFileListModel::StateRole).toString(),
                                  QStringLiteral("finished"), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(files.data(files.index(0), HubFileListModel::InLibraryRole).toBool(), kTimeoutMs);

        files.open(QStringLiteral("nibble-test/Nowhere-GGUF"));
        QTRY_VERIFY_WITH_TIMEOUT(!files.busy(), kTimeoutMs);
        QCOMPARE(files.rowCount(), 0);
        QVERIFY2(files.error().contains("nothing at"), qPrintable(files.error()));
    }
};

QTEST_GUILESS_MAIN(TestHub)
#include "test_hub.moc"
