// The built-in catalog of chat models (resources/catalog.json): every model
// has an architecture the engine runs (the engine's own list), an
// instruction-tuned 4-bit and 8-bit file named as the Hub names them, and
// the fields the library shows; a catalog missing any of it is refused with
// the entry named. Also the memory a model needs at the default context.
#include "downloads/hub_client.h"
#include "downloads/model_catalog.h"
#include "library/model_registration.h"

#include <nibble/architectures.h>
#include <nibble/error.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

using namespace nibble;
using namespace nibble::app;

namespace {

QJsonObject validModel() {
    return QJsonObject{
        {"id", "m"},
        {"name", "M"},
        {"repo", "owner/M-GGUF"},
        {"architecture", "llama"},
        {"purpose", "Tests."},
        {"license", "MIT"},
        {"parameters", 1000},
        {"instruct", true},
        {"layers", 2},
        {"kvHeads", 1},
        {"headDim", 8},
        {"contextLength", 64},
        {"files", QJsonArray{QJsonObject{{"fileName", "M-Q4_K_M.gguf"}, {"precision", "Q4_K_M"}, {"bits", 4}}}},
    };
}

QByteArray document(const QJsonArray& models, int schema = ModelCatalog::kSchema) {
    return QJsonDocument(QJsonObject{{"schema", schema}, {"models", models}}).toJson();
}

}  // namespace

class TestModelCatalog : public QObject {
    Q_OBJECT

private slots:
    void builtInCatalogOffersChatModelsInTwoPrecisions() {
        const ModelCatalog catalog = ModelCatalog::builtIn();
        QSet<QString> architectures;
        int instructModels = 0;
        for (const CatalogModel& model : catalog.models()) {
            const QByteArray where = model.id.toUtf8();
            QVERIFY2(isSupportedArchitecture(model.architecture.toStdString()),
                     where + " is " + model.architecture.toUtf8() + ", which the engine does not run");
            architectures.insert(model.architecture);
            if (model.instruct) ++instructModels;
            QVERIFY2(model.repo.contains('/'), where);
            QVERIFY2(!model.purpose.isEmpty() && !model.license.isEmpty(), where);
            QVERIFY2(model.parameters > 10'000'000, where);
            bool fourBit = false, eightBit = false;
            for (const CatalogModelFile& file : model.files) {
                // The precision is the one the Hub reads from the name, and its bits the library's.
                QCOMPARE(quantizationFromFileName(file.fileName), file.precision);
                QCOMPARE(precisionBits(file.precision), QStringLiteral("%1-bit").arg(file.bits));
                QVERIFY2(bitsPerWeight(file.precision) > 0, qPrintable(file.fileName));
                fourBit = fourBit || file.bits == 4;
                eightBit = eightBit || file.bits == 8;
            }
            QVERIFY2(fourBit && eightBit, where + " lacks a 4-bit or an 8-bit file");
        }
        QVERIFY2(instructModels >= 10, qPrintable(QString::number(instructModels)));
        QVERIFY2(architectures.size() >= 4, qPrintable(QStringList(architectures.values()).join(", ")));
        // The file the app packages for tests is among them.
        const CatalogModel* smol = catalog.findModel("smollm2-135m-instruct");
        QVERIFY(smol);
        QCOMPARE(smol->files.first().fileName, QStringLiteral("SmolLM2-135M-Instruct.Q4_1.gguf"));
    }

    void catalogRejectsIncompleteEntries_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::newRow("no repo") << "repo" << QJsonValue("");
        QTest::newRow("repo without owner") << "repo" << QJsonValue("M-GGUF");
        QTest::newRow("no architecture") << "architecture" << QJsonValue("");
        QTest::newRow("no purpose") << "purpose" << QJsonValue("");
        QTest::newRow("no licence") << "license" << QJsonValue("");
        QTest::newRow("instruct unsaid") << "instruct" << QJsonValue();
        QTest::newRow("no parameters") << "parameters" << QJsonValue(0);
        QTest::newRow("no layers") << "layers" << QJsonValue(0);
        QTest::newRow("no files") << "files" << QJsonValue(QJsonArray());
        QTest::newRow("path as file name")
            << "files"
            << QJsonValue(QJsonArray{QJsonObject{{"fileName", "../m.gguf"}, {"precision", "Q4_0"}, {"bits", 4}}});
        QTest::newRow("not a GGUF file")
            << "files" << QJsonValue(QJsonArray{QJsonObject{{"fileName", "m.bin"}, {"precision", "Q4_0"}, {"bits", 4}}});
        QTest::newRow("no bits")
            << "files" << QJsonValue(QJsonArray{QJsonObject{{"fileName", "m.gguf"}, {"precision", "Q4_0"}}});
    }

    void catalogRejectsIncompleteEntries() {
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QJsonObject model = validModel();
        QCOMPARE(ModelCatalog::parse(document({model})).models().size(), qsizetype(1));
        if (value.isUndefined() || value.isNull())
            model.remove(key);
        else
            model[key] = value;
        QVERIFY_THROWS_EXCEPTION(nibble::Error, ModelCatalog::parse(document({model})));
    }

    void oldSchemaAndRepeatsAreRefusedWithTheEntryNamed() {
        try {
            ModelCatalog::parse(document({validModel()}, 1));
            QFAIL("schema 1 was read");
        } catch (const nibble::Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("version 2"), e.what());
        }
        QJsonObject other = validModel();
        other["id"] = "other";
        try {
            ModelCatalog::parse(document({validModel(), other}));
            QFAIL("a file name used twice was read");
        } catch (const nibble::Error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains("other/M-Q4_K_M.gguf"), e.what());
        }
    }

    void memoryAtTheDefaultContext() {
        const CatalogModel model = ModelCatalog::parse(document({validModel()})).models().first();
        // 2 layers x 1 head x (8 + 8) values x 4 bytes per token, up to the trained 64 tokens.
        QCOMPARE(model.kvCacheBytes(10), qint64(2 * 10 * 16 * 4));
        QCOMPARE(model.kvCacheBytes(kDefaultContextTokens), qint64(2 * 64 * 16 * 4));
        // Llama 3.2 1B's Q4_K_M is 808 MB on the Hub; the estimate is within 10 %.
        const CatalogModel* llama = ModelCatalog::builtIn().findModel("llama-3.2-1b-instruct");
        QVERIFY(llama);
        const qint64 estimate = llama->estimatedFileBytes(llama->files.first());
        QVERIFY2(std::abs(estimate - 807'690'000) < 80'000'000, qPrintable(QString::number(estimate)));
        // 16 layers x 8 heads x 128 values x 4 bytes x 4096 tokens = 256 MiB.
        QCOMPARE(llama->kvCacheBytes(kDefaultContextTokens), qint64(256) * 1024 * 1024);
    }
};

QTEST_GUILESS_MAIN(TestModelCatalog)
#include "test_model_catalog.moc"
