// inspectModelFile reads a file's metadata as typed values, exactly as the
// file stores them (no display text to parse back), and agrees with what
// loading the model reports.
#include "gguf/gguf_writer.h"
#include "nibble/engine.h"
#include "nibble/model_file.h"
#include "test_models.h"

#include <QTemporaryDir>
#include <QTest>

using namespace nibble;

namespace {

// Longer than display text keeps, over two lines, with quotes in it.
const std::string kLicense = "\"Tiny\" licence.\n" + std::string(300, 'x');

std::filesystem::path writeFile(const QTemporaryDir& dir, const std::function<void(gguf::GgufWriter&)>& metadata) {
    gguf::GgufWriter writer;
    metadata(writer);
    writer.addTensor("norm", {32}, GgmlType::F32, [] { return std::vector<uint8_t>(128); });
    writer.addTensor("weight", {32, 4}, GgmlType::Q8_0, [] { return std::vector<uint8_t>(4 * 34); });
    const std::filesystem::path path = dir.path().toStdString() + "/model.gguf";
    writer.write(path);
    return path;
}

}  // namespace

class TestModelFile : public QObject {
    Q_OBJECT
private slots:
    void valuesAreTyped() {
        QTemporaryDir dir;
        const ModelFileSummary s = inspectModelFile(writeFile(dir, [](gguf::GgufWriter& w) {
            w.setString("general.architecture", "qwen3");
            w.setString("general.name", "Tiny \"chat\" model");
            w.setString("general.license", kLicense);
            w.setUInt32("general.file_type", 15);
            w.setUInt32("qwen3.context_length", 40960);
            w.setString("tokenizer.chat_template", "{{ messages }}");
        }));
        QCOMPARE(s.architecture, std::string("qwen3"));
        QCOMPARE(s.name, std::string("Tiny \"chat\" model"));
        QCOMPARE(s.license, kLicense);
        QCOMPARE(s.fileType, std::optional<int64_t>(15));
        QCOMPARE(s.fileTypeName, std::string("Q4_K_M"));
        QCOMPARE(s.trainedContextLength, 40960u);
        QVERIFY(s.hasChatTemplate);
        QCOMPARE(s.parameterCount, uint64_t(32 + 32 * 4));
        QCOMPARE(s.tensorCount, uint64_t(2));
        QCOMPARE(s.tensorTypes, (std::vector<std::pair<std::string, uint64_t>>{{"F32", 1}, {"Q8_0", 1}}));
        QCOMPARE(s.ggufVersion, 3u);
    }

    void absentValuesSaySo() {
        QTemporaryDir dir;
        const ModelFileSummary s = inspectModelFile(writeFile(dir, [](gguf::GgufWriter& w) {
            w.setString("general.architecture", "llama");
            w.setUInt32("general.file_type", 9999);  // no name the established tools give
            w.setUInt32("qwen3.context_length", 40960);  // another architecture's
        }));
        QCOMPARE(s.fileType, std::optional<int64_t>(9999));
        QCOMPARE(s.fileTypeName, std::string());
        QCOMPARE(s.trainedContextLength, 0u);
        QCOMPARE(s.name, std::string());
        QCOMPARE(s.license, std::string());
        QVERIFY(!s.hasChatTemplate);
        const ModelFileSummary none = inspectModelFile(writeFile(dir, [](gguf::GgufWriter&) {}));
        QCOMPARE(none.fileType, std::nullopt);
        QCOMPARE(none.architecture, std::string());
    }

    void agreesWithTheLoadedModel() {
        NIBBLE_REQUIRE_MODEL(path, test::kSmolLM2);
        const ModelFileSummary s = inspectModelFile(path);
        LoadOptions options;
        options.backend = BackendKind::Cpu;
        options.contextLength = 64;
        const ModelInfo info = Model::open(path, options)->info();
        QCOMPARE(s.name, info.name);
        QCOMPARE(s.architecture, info.architecture);
        QCOMPARE(s.fileTypeName, info.fileType);
        QCOMPARE(s.fileType, std::optional<int64_t>(3));  // Q4_1
        QCOMPARE(s.license, info.license);
        QCOMPARE(s.trainedContextLength, info.trainedContextLength);
        QCOMPARE(s.parameterCount, info.parameterCount);
        QCOMPARE(s.hasChatTemplate, info.hasChatTemplate);
        QVERIFY(s.hasChatTemplate);
    }
};

QTEST_GUILESS_MAIN(TestModelFile)
#include "test_model_file.moc"
