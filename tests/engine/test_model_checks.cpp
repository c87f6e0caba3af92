// Models that load but could only ever be wrong are refused with a clear
// error: a vocabulary that does not match the embedding, NaN or infinity in
// the weights at load, and invalid numbers reaching the logits instead of a
// reply made of them.
#include "nibble/engine.h"
#include "tiny_model.h"

#include <QTemporaryDir>
#include <QTest>

#include <limits>

using namespace nibble;

class TestModelChecks : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    std::filesystem::path write(const test::TinyModel& model, const std::string& name) {
        const std::filesystem::path path = dir_.path().toStdString() + "/" + name + ".gguf";
        model.write(path);
        return path;
    }

    static LoadOptions cpu() {
        LoadOptions o;
        o.backend = BackendKind::Cpu;
        o.contextLength = 256;
        return o;
    }

    // Model::open's error, which the test requires.
    static Error openError(const std::filesystem::path& path) {
        try {
            Model::open(path, cpu());
        } catch (const Error& e) {
            return e;
        }
        QTest::qFail("the model loaded", __FILE__, __LINE__);
        return Error(ErrorKind::Internal, "the model loaded");
    }

private slots:
    void wellFormedModelGenerates() {
        // The control for every test below: the same model, unbroken, loads and writes a reply.
        auto model = Model::open(write({}, "good"), cpu());
        Session session(model);
        GenerateOptions o;
        o.sampling = SamplingParams::greedy();
        o.maxTokens = 8;
        const GenerationResult r = session.complete("w1 w2", o, {});
        QVERIFY(r.generatedTokens > 0);
    }

    void embeddingLargerThanVocabularyIsRefused() {
        test::TinyModel m;
        m.tokens = 300;
        m.embeddingRows = 1000;
        const Error e = openError(write(m, "padded"));
        QCOMPARE(e.kind(), ErrorKind::InvalidFile);
        QVERIFY2(std::string(e.what()).find("the tokenizer has 300 tokens but the model's embedding has 1000 rows") !=
                     std::string::npos,
                 e.what());
    }

    void vocabularyLargerThanEmbeddingIsRefused() {
        test::TinyModel m;
        m.tokens = 400;
        m.embeddingRows = 300;
        const Error e = openError(write(m, "short"));
        QCOMPARE(e.kind(), ErrorKind::InvalidFile);
        QVERIFY2(std::string(e.what()).find("400 tokens") != std::string::npos, e.what());
    }

    void nanInANormIsRefusedAtLoad() {
        test::TinyModel m;
        m.poisoned = "blk.0.attn_norm.weight";
        const Error e = openError(write(m, "nan-norm"));
        QCOMPARE(e.kind(), ErrorKind::InvalidFile);
        QVERIFY2(std::string(e.what()).find("the model file contains invalid numbers in blk.0.attn_norm.weight") !=
                     std::string::npos,
                 e.what());
    }

    void infinityInASmallFloatMatrixIsRefusedAtLoad() {
        test::TinyModel m;
        m.poisoned = "blk.0.attn_q.weight";
        m.poison = -std::numeric_limits<float>::infinity();
        const Error e = openError(write(m, "inf-matrix"));
        QCOMPARE(e.kind(), ErrorKind::InvalidFile);
        QVERIFY2(std::string(e.what()).find("invalid numbers in blk.0.attn_q.weight") != std::string::npos, e.what());
    }

    void nanReachingTheLogitsFailsInsteadOfReplying() {
        test::TinyModel m;
        m.nanScaledDown = true;
        auto model = Model::open(write(m, "nan-logits"), cpu());  // quantized matrices are not read at load
        Session session(model);
        GenerateOptions o;
        o.sampling = SamplingParams::greedy();
        o.maxTokens = 8;
        std::string shown;
        try {
            session.complete("w1 w2", o, [&](std::string_view piece) {
                shown += piece;
                return true;
            });
            QFAIL("a reply was generated from NaN logits");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidFile);
            QVERIFY2(std::string(e.what()).find("the model produced invalid numbers") != std::string::npos, e.what());
        }
        QCOMPARE(shown, std::string());
    }
};

QTEST_GUILESS_MAIN(TestModelChecks)
#include "test_model_checks.moc"
