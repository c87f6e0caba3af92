// Hugging Face Hub search against a local stand-in for the Hub
// (hub_stand_in.h) serving the real test models: search finds GGUF models in
// the asked order with licence, parameters and instruct/base; a repository's
// GGUF files come with sizes, checksums and quantization types, split files
// as one entry; a 429 is retried once after its Retry-After; the other
// failures read as sentences.
#include "downloads/hub_client.h"
#include "hub_stand_in.h"
#include "test_models.h"

#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTest>
#include <QTimeZone>

#include <memory>

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

    QByteArray smol_;
    QByteArray gemma_;
    std::unique_ptr<HubStandIn> hub_;
    HubStandIn::File smolFile_;
    HubStandIn::File gemmaFile_;
    HubStandIn::File damagedFile_;

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
        hub_->addRepo({kBrokenRepo, 1, 0, "2021-01-01T00:00:00.000Z", {}, {}, false, 0, {}, {}, "{\"id\": [broken"});
    }

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
        QCOMPARE(byLikes.value->size(), 5);
        QCOMPARE(byLikes.value->at(0).repo, kGemmaRepo);
        QVERIFY(hub_->requests().last().path.contains("sort=likes"));

        const auto recent = wait<QList<HubModel>>([&](auto done) {
            client.searchModels(QStringLiteral("nibble-test"), HubSort::LastModified, 10, std::move(done));
        });
        QVERIFY2(recent.value, qPrintable(recent.error));
        QCOMPARE(recent.value->size(), 3);
        QCOMPARE(recent.value->at(0).repo, kSplitRepo);

        const auto none = wait<QList<HubModel>>([&](auto done) {
            client.searchModels(QStringLiteral("no such model"), HubSort::Downloads, 10, std::move(done));
        });
        QVERIFY(none.value && none.value->isEmpty());
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
};

QTEST_GUILESS_MAIN(TestHub)
#include "test_hub.moc"
