// What a model file's header says (whether it has a chat template) lives in
// the models store: a library from before the store kept it is upgraded
// with its data intact and learns it from the files off the UI thread, and
// the library's list then tells base from chat models from the store alone,
// even when a file has been moved away since.
#include "library/model_header_backfill.h"
#include "library/model_registration.h"
#include "library/variant_list_model.h"
#include "storage/database.h"
#include "storage/model_store.h"
#include "storage/schema.h"
#include "storage/variant_store.h"
#include "frozen_schema_v1.h"
#include "storage_test_util.h"

#include "gguf/gguf_writer.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace nibble;

namespace {

// A header-only llama file: one F32 norm and a 32 x 4 Q8_0 matrix.
QString writeModelFile(const QTemporaryDir& dir, const QString& fileName, bool chatTemplate) {
    gguf::GgufWriter writer;
    writer.setString("general.architecture", "llama");
    writer.setUInt32("llama.context_length", 2048);
    if (chatTemplate) writer.setString("tokenizer.chat_template", "{{ messages }}");
    writer.addTensor("a_norm", {32}, GgmlType::F32, [] { return std::vector<uint8_t>(128); });
    writer.addTensor("weight", {32, 4}, GgmlType::Q8_0, [] { return std::vector<uint8_t>(4 * 34); });
    const QString path = dir.filePath(fileName);
    writer.write(path.toStdString());
    return path;
}

QString kindOfModel(const app::VariantListModel& list, qint64 modelId) {
    for (int row = 0; row < list.rowCount(); ++row)
        if (list.data(list.index(row), app::VariantListModel::ModelIdRole).toLongLong() == modelId)
            return list.data(list.index(row), app::VariantListModel::KindRole).toString();
    return QStringLiteral("(not listed)");
}

int rowOfModel(const app::VariantListModel& list, qint64 modelId) {
    for (int row = 0; row < list.rowCount(); ++row)
        if (list.data(list.index(row), app::VariantListModel::ModelIdRole).toLongLong() == modelId) return row;
    return -1;
}

}  // namespace

class TestModelHeaderBackfill : public QObject {
    Q_OBJECT

private slots:
    void oldLibraryKeepsItsDataAndLearnsFromTheFiles() {
        QTemporaryDir dir;
        const QString base = writeModelFile(dir, QStringLiteral("gemma-3-270m-q4_k_m.gguf"), false);
        const QString templated = writeModelFile(dir, QStringLiteral("Qwen3-4B-Q4_K_M.gguf"), true);
        const QString dbPath = dir.filePath(QStringLiteral("nibble.db"));
        {
            test::RawDb raw(dbPath);
            QCOMPARE(raw.exec(test::kSchemaV1), SQLITE_OK);
            QCOMPARE(raw.exec(QStringLiteral(R"sql(
                INSERT INTO models VALUES (1, 'gemma 3 270m', 'gemma3', 268000000, 'gemma', '', 1000);
                INSERT INTO models VALUES (2, 'Qwen3 4B', 'qwen3', 4000000000, 'apache-2.0', '', 1000);
                INSERT INTO models VALUES (3, 'Gone 1B', 'llama', 1000000000, '', '', 1000);
                INSERT INTO variants VALUES (1, 1, 'Q4_K_M', '%1', 253113024, '', 'imported', NULL,
                                             NULL, NULL, NULL, NULL, NULL, 1000);
                INSERT INTO variants VALUES (2, 2, 'Q4_K_M', '%2', 2500000000, '', 'downloaded', NULL,
                                             9.5, NULL, NULL, NULL, 2000, 1000);
                INSERT INTO variants VALUES (3, 3, 'Q8_0', '%3', 1000, '', 'imported', NULL,
                                             NULL, NULL, NULL, NULL, NULL, 1000);
            )sql")
                                   .arg(base, templated, dir.filePath(QStringLiteral("gone.gguf")))),
                     SQLITE_OK);
        }
        storage::Database db = storage::Database::open(dbPath);
        QCOMPARE(db.schemaVersion(), storage::schema::latestVersion());
        const storage::ModelStore models(db);
        QCOMPARE(models.list().size(), 3);
        QCOMPARE(models.get(2).parameterCount, qint64(4000000000));
        QCOMPARE(storage::VariantStore(db).get(2).quality.perplexity, std::optional<double>(9.5));
        for (const storage::Model& model : models.list()) QVERIFY(!model.hasChatTemplate);

        // Before the headers are read, nothing is claimed.
        app::VariantListModel list(db);
        QCOMPARE(list.rowCount(), 3);
        QCOMPARE(kindOfModel(list, 1), QString());

        app::ModelHeaderBackfill backfill(db);
        QSignalSpy finished(&backfill, &app::ModelHeaderBackfill::finished);
        QVERIFY(backfill.start());
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.first().first().toInt(), 2);
        QCOMPARE(models.get(1).hasChatTemplate, std::optional<bool>(false));
        QCOMPARE(models.get(2).hasChatTemplate, std::optional<bool>(true));
        // A model whose file cannot be read is tried again at the next start.
        QVERIFY(!models.get(3).hasChatTemplate);

        list.reload();
        QCOMPARE(kindOfModel(list, 1), QStringLiteral("base"));
        QVERIFY2(list.labelOf(1).endsWith(QStringLiteral(" · base model")), qPrintable(list.labelOf(1)));
        QCOMPARE(kindOfModel(list, 2), QString());

        // The model left is tried again, and still gets no answer.
        QVERIFY(backfill.start());
        QVERIFY(finished.wait(10000));
        QCOMPARE(finished.last().first().toInt(), 0);

        // The list reads the store, not the file: moved away, it is still a base model.
        QVERIFY(QFile::rename(base, dir.filePath(QStringLiteral("moved.gguf"))));
        list.reload();
        QCOMPARE(kindOfModel(list, 1), QStringLiteral("base"));
        QVERIFY(!list.data(list.index(rowOfModel(list, 1)), app::VariantListModel::FileExistsRole).toBool());
    }

    void registrationRecordsTheHeader() {
        QTemporaryDir dir;
        storage::Database db = storage::Database::open(dir.filePath(QStringLiteral("nibble.db")));
        const QString path = writeModelFile(dir, QStringLiteral("tiny-base.Q8_0.gguf"), false);
        const storage::Variant variant = app::registerModelFile(db, path, storage::VariantOrigin::Imported);
        QCOMPARE(storage::ModelStore(db).get(variant.modelId).hasChatTemplate, std::optional<bool>(false));
        const storage::Variant chat = app::registerModelFile(
            db, writeModelFile(dir, QStringLiteral("tiny-chat.Q8_0.gguf"), true), storage::VariantOrigin::Imported);
        QCOMPARE(storage::ModelStore(db).get(chat.modelId).hasChatTemplate, std::optional<bool>(true));

        // Nothing left to read at start.
        app::ModelHeaderBackfill backfill(db);
        QVERIFY(!backfill.start());

        QVERIFY(QFile::remove(path));
        app::VariantListModel list(db);
        QCOMPARE(list.kindOf(variant.id), QStringLiteral("base"));
    }
};

QTEST_GUILESS_MAIN(TestModelHeaderBackfill)
#include "test_model_header_backfill.moc"
