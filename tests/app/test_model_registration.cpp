// Registering a model file: the catalogue records the model's name (from the
// file name, which groups its precisions), architecture, size and license,
// and the variant's precision as the established tools name it, else as its
// most common quantized tensor type.
#include "library/model_kind.h"
#include "library/model_registration.h"
#include "storage/database.h"
#include "storage/model_store.h"

#include "gguf/gguf_writer.h"

#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace nibble;

namespace {

struct FileContents {
    std::string name = "Tiny 1k Mix Ep2";  // a training-run label, as real files carry
    std::string license = "apache-2.0";
    std::optional<uint32_t> fileType;
    bool chatTemplate = false;
};

// A header-only model file: 2 * 32 F32 norm values and a 32 x 4 Q8_0 matrix.
QString writeModelFile(const QTemporaryDir& dir, const QString& fileName, const FileContents& contents) {
    gguf::GgufWriter writer;
    writer.setString("general.architecture", "llama");
    writer.setString("general.name", contents.name);
    writer.setString("general.license", contents.license);
    writer.setUInt32("llama.context_length", 2048);
    if (contents.fileType) writer.setUInt32("general.file_type", *contents.fileType);
    if (contents.chatTemplate) writer.setString("tokenizer.chat_template", "{{ messages }}");
    writer.addTensor("a_norm", {32}, GgmlType::F32, [] { return std::vector<uint8_t>(128); });
    writer.addTensor("b_norm", {32}, GgmlType::F32, [] { return std::vector<uint8_t>(128); });
    writer.addTensor("weight", {32, 4}, GgmlType::Q8_0, [] { return std::vector<uint8_t>(4 * 34); });
    const QString path = dir.filePath(fileName);
    writer.write(path.toStdString());
    return path;
}

}  // namespace

class TestModelRegistration : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::optional<storage::Database> db_;

    storage::Variant registerFile(const QString& fileName, const FileContents& contents) {
        return app::registerModelFile(*db_, writeModelFile(dir_, fileName, contents), storage::VariantOrigin::Imported);
    }
    storage::Model modelOf(const storage::Variant& variant) const { return storage::ModelStore(*db_).get(variant.modelId); }

private slots:
    void init() { db_.emplace(storage::Database::open(dir_.filePath(QStringLiteral("catalogue.sqlite")))); }
    void cleanup() {
        db_.reset();
        QFile::remove(dir_.filePath(QStringLiteral("catalogue.sqlite")));
    }

    void recordsTheModelAndItsNamedPrecision() {
        FileContents contents;
        contents.fileType = 15;
        const storage::Variant variant = registerFile(QStringLiteral("Tiny-Chat_v2.Q4_K_M.gguf"), contents);
        QCOMPARE(variant.precision, QStringLiteral("Q4_K_M"));
        const storage::Model model = modelOf(variant);
        QCOMPARE(model.name, QStringLiteral("Tiny Chat v2"));
        QCOMPARE(model.architecture, QStringLiteral("llama"));
        QCOMPARE(model.parameterCount, qint64(2 * 32 + 32 * 4));
        QCOMPARE(model.license, QStringLiteral("apache-2.0"));
    }

    void metadataIsRecordedAsTheFileHasIt() {
        // Longer than display text keeps, over two lines, with quotes in it.
        const std::string license = "\"Tiny\" licence.\n" + std::string(300, 'x');
        FileContents contents;
        contents.license = license;
        const storage::Variant variant = registerFile(QStringLiteral("Tiny.gguf"), contents);
        QCOMPARE(modelOf(variant).license, QString::fromStdString(license));
    }

    void unnamedFileTypeFallsBackToTheQuantizedTensors() {
        // F32 has more tensors here, but norms stay F32 in every quantized file.
        const storage::Variant unknown = registerFile(QStringLiteral("tiny-unknown.gguf"), {.fileType = 9999});
        QCOMPARE(unknown.precision, QStringLiteral("Q8_0"));
        const storage::Variant absent = registerFile(QStringLiteral("tiny-absent.gguf"), {});
        QCOMPARE(absent.precision, QStringLiteral("Q8_0"));
    }

    void precisionsOfOneModelShareIt() {
        const storage::Variant q8 = registerFile(QStringLiteral("Tiny.Q8_0.gguf"), {.fileType = 7});
        const storage::Variant f16 = registerFile(QStringLiteral("Tiny-F16.gguf"), {.fileType = 1});
        QCOMPARE(q8.precision, QStringLiteral("Q8_0"));
        QCOMPARE(f16.precision, QStringLiteral("F16"));
        QCOMPARE(f16.modelId, q8.modelId);
        QCOMPARE(modelOf(q8).name, QStringLiteral("Tiny"));
    }

    // An 8-bit file made from a 4-bit one holds no more than the 4-bit did:
    // its label says so; made from a larger file, it is a plain 8-bit.
    void variantMadeFromFewerBitsSaysSo() {
        const storage::Variant q4 = registerFile(QStringLiteral("Small.Q4_0.gguf"), {.fileType = 2});
        storage::Variant q8 = q4;
        q8.precision = QStringLiteral("Q8_0");
        q8.origin = storage::VariantOrigin::Derived;
        q8.derivedFromVariantId = q4.id;
        const storage::Model model = modelOf(q4);
        QVERIFY(app::madeFromFewerBits(q8, &q4));
        QCOMPARE(app::variantLabel(model, q8, &q4),
                 QStringLiteral("Small - 8-bit made from the 4-bit file (Q8_0, cannot be better)"));
        QVERIFY(!app::madeFromFewerBits(q4, &q8));
        QCOMPARE(app::variantLabel(model, q4, &q8), QStringLiteral("Small - 4-bit (Q4_0)"));
        QCOMPARE(app::variantLabel(model, q8), QStringLiteral("Small - 8-bit (Q8_0)"));
    }

    void instructOrBaseFromNameAndChatTemplate() {
        const storage::Variant base = registerFile(QStringLiteral("gemma-3-270m-q4_k_m.gguf"), {});
        const storage::Variant templated = registerFile(QStringLiteral("Qwen3-4B-Q4_K_M.gguf"), {.chatTemplate = true});
        const storage::Variant instruct = registerFile(QStringLiteral("SmolLM2-135M-Instruct.Q4_1.gguf"), {});
        const auto kindOf = [this](const storage::Variant& variant, const QString& name) {
            return app::modelKindOf(name, variant.filePath, modelOf(variant).hasChatTemplate);
        };
        QCOMPARE(kindOf(base, QStringLiteral("gemma 3 270m")), app::ModelKind::Base);
        // A chat template alone does not make it a chat model, nor its lack in the name a base one.
        QCOMPARE(kindOf(templated, QStringLiteral("Qwen3 4B")), app::ModelKind::Unknown);
        QCOMPARE(kindOf(instruct, QStringLiteral("SmolLM2 135M Instruct")), app::ModelKind::Instruct);
        QCOMPARE(kindOf(base, QStringLiteral("gemma 3 1b it")), app::ModelKind::Instruct);
        // A header not read yet tells nothing.
        QCOMPARE(app::modelKindOf(QStringLiteral("gemma 3 270m"), base.filePath, std::nullopt), app::ModelKind::Unknown);
        QVERIFY(app::nameSaysInstruct(QStringLiteral("bartowski/google_gemma-3-1b-it-GGUF")));
        QVERIFY(!app::nameSaysInstruct(QStringLiteral("unsloth/gemma-3-270m-GGUF")));
        QVERIFY(!app::nameSaysInstruct(QStringLiteral("Qwen/Qwen2.5-3B-GGUF")));
    }
};

QTEST_GUILESS_MAIN(TestModelRegistration)
#include "test_model_registration.moc"
