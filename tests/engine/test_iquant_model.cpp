// Model files in the i-quants, TQ1_0, TQ2_0 and MXFP4, written by our GGUF
// writer, load and generate: the exact path gives the same logits as a twin
// file holding the decoded weights as F32, and the fast CPU path predicts
// what the exact path predicts. IQ4_NL and IQ4_XS hold blocks our quantizer
// made; TQ1_0, TQ2_0 and MXFP4 blocks gguf-py's quantizer made
// (tests/data/quant/blocks_<TYPE>.bin); the grid types gguf-py cannot
// quantize (IQ3_XXS, ...) random blocks, scaled to the same spread, in the
// layout whose decoding test_dequantize checks bit-exact against gguf-py.
// The fast path has no kernels for the last two groups and must fall back
// to the exact product.
#include "gguf/gguf_writer.h"
#include "nibble/engine.h"
#include "nibble/error.h"
#include "quant_test_data.h"
#include "tensor/dequantize.h"
#include "tensor/quantize.h"
#include "random_blocks.h"
#include "tensor/half.h"
#include "tiny_llama_layout.h"

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace nibble;

Q_DECLARE_METATYPE(nibble::GgmlType)

namespace {

// One llama layer 256 wide: the narrowest width IQ4_XS's super-blocks fit.
constexpr uint64_t kWidth = 256, kFeedForward = 512, kHeads = 4, kKvHeads = 2, kVocabulary = 300;

std::vector<uint8_t> asBytes(const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(float));
    std::memcpy(bytes.data(), values.data(), bytes.size());
    return bytes;
}

// The blocks of a row gguf-py quantized into `type` (make_vectors.py), or
// none for the types gguf-py cannot quantize.
std::vector<uint8_t> referenceBlocks(GgmlType type) {
    const auto path = test::quantVectorDir() / ("blocks_" + std::string(typeName(type)) + ".bin");
    if (!std::filesystem::exists(path)) return {};
    const std::vector<uint8_t> bytes = test::readBytes(path);
    if (bytes.size() < 4) throw std::runtime_error("missing " + path.string());
    uint32_t n;
    std::memcpy(&n, bytes.data(), 4);
    const TypeTraits traits = *typeTraits(type);
    if (n % traits.blockSize != 0 || bytes.size() != 4 + n / traits.blockSize * traits.blockBytes)
        throw std::runtime_error(path.string() + " does not hold whole " + std::string(traits.name) + " blocks");
    return {bytes.begin() + 4, bytes.end()};
}

// Fills `row` (rowLength weights of `type`) with random blocks whose scales
// are set so the decoded weights have about the standard deviation `spread`.
void randomRowWithSpread(GgmlType type, uint8_t* row, uint64_t rowLength, float spread, std::mt19937& rng) {
    const std::vector<uint8_t> random = test::randomRow(type, int64_t(rowLength), rng);
    std::copy(random.begin(), random.end(), row);
    const TypeTraits traits = *typeTraits(type);
    const auto setScales = [&](float d) {
        for (size_t block = 0; block < random.size() / traits.blockBytes; ++block)
            for (size_t offset : test::halfFields().at(type)) {
                test::storeHalf(type, row + block * traits.blockBytes + offset, floatToHalf(d));
            }
    };
    setScales(1.f);
    std::vector<float> unit(rowLength);
    dequantizeRow(type, row, unit.data(), int64_t(rowLength));
    double squares = 0;
    for (float v : unit) squares += double(v) * v;
    setScales(spread / float(std::sqrt(squares / double(rowLength))));
}

// Writes the model with its matrices in `type`, and its twin with the same
// matrices decoded back to F32. unsupported: ffn_down instead in that type,
// as random bytes.
void writeModels(GgmlType type, const std::filesystem::path& quantized, const std::filesystem::path& decoded,
                 std::optional<GgmlType> unsupported = std::nullopt) {
    test::TinyLlamaShape shape;
    shape.width = kWidth;
    shape.feedForward = kFeedForward;
    shape.heads = kHeads;
    shape.kvHeads = kKvHeads;
    shape.context = 512;
    shape.vocabulary = kVocabulary;
    shape.embeddingRows = kVocabulary;
    gguf::GgufWriter wq, wf;
    for (gguf::GgufWriter* w : {&wq, &wf}) test::writeTinyLlamaHeader(*w, shape, "tiny i-quant model");
    std::mt19937 rng{static_cast<uint32_t>(type)};
    const TypeTraits traits = *typeTraits(type);
    // Without a quantizer of ours, each matrix block is one of gguf-py's, picked at random, where it has them.
    const std::vector<uint8_t> pool = traits.quantize ? std::vector<uint8_t>{} : referenceBlocks(type);
    const auto matrix = [&](const std::string& name, uint64_t rowLength, uint64_t rows) {
        std::normal_distribution<float> normal(0.f, 1.5f / std::sqrt(float(rowLength)));
        std::vector<float> values(rowLength * rows);
        for (float& v : values) v = normal(rng);
        const size_t rowBytes = quantizedRowBytes(type, int64_t(rowLength));
        std::vector<uint8_t> blocks(rowBytes * rows);
        std::vector<float> back(values.size());
        for (uint64_t r = 0; r < rows; ++r) {
            uint8_t* row = blocks.data() + r * rowBytes;
            if (traits.quantize) {
                quantizeRow(type, values.data() + r * rowLength, row, int64_t(rowLength));
            } else if (!pool.empty()) {
                std::uniform_int_distribution<size_t> pick(0, pool.size() / traits.blockBytes - 1);
                for (size_t b = 0; b < rowBytes / traits.blockBytes; ++b)
                    std::memcpy(row + b * traits.blockBytes, pool.data() + pick(rng) * traits.blockBytes,
                                traits.blockBytes);
            } else {
                randomRowWithSpread(type, row, rowLength, normal.stddev(), rng);
            }
            dequantizeRow(type, row, back.data() + r * rowLength, int64_t(rowLength));
        }
        wq.addTensor(name, {rowLength, rows}, type, [blocks] { return blocks; });
        wf.addTensor(name, {rowLength, rows}, GgmlType::F32, [bytes = asBytes(back)] { return bytes; });
    };
    const auto matrixOrUnsupported = [&](const std::string& name, uint64_t rowLength, uint64_t rows) {
        if (!unsupported || name != "blk.0.ffn_down.weight") return matrix(name, rowLength, rows);
        const TypeTraits other = *typeTraits(*unsupported);
        std::vector<uint8_t> bytes(rowLength / other.blockSize * other.blockBytes * rows, 1);
        wq.addTensor(name, {rowLength, rows}, *unsupported, [bytes] { return bytes; });
    };
    const auto norm = [&](const std::string& name, uint64_t length) {
        std::uniform_real_distribution<float> around(0.9f, 1.1f);
        std::vector<float> values(length);
        for (float& v : values) v = around(rng);
        for (gguf::GgufWriter* w : {&wq, &wf})
            w->addTensor(name, {length}, GgmlType::F32, [bytes = asBytes(values)] { return bytes; });
    };
    test::forEachTinyLlamaTensor(shape, matrixOrUnsupported, norm);
    wq.write(quantized);
    wf.write(decoded);
}

std::shared_ptr<Model> open(const std::filesystem::path& path, BackendKind backend) {
    LoadOptions o;
    o.backend = backend;
    o.contextLength = 256;
    return Model::open(path, o);
}

std::vector<float> logits(const std::filesystem::path& path, BackendKind backend, const std::vector<int32_t>& tokens) {
    Session session(open(path, backend));
    return session.evaluate(tokens);
}

size_t argmax(const float* row) { return size_t(std::max_element(row, row + kVocabulary) - row); }

}  // namespace

class TestIQuantModel : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private slots:
    void loadsAndGenerates_data() {
        QTest::addColumn<GgmlType>("type");
        QTest::newRow("IQ4_NL") << GgmlType::IQ4_NL;
        QTest::newRow("IQ4_XS") << GgmlType::IQ4_XS;
        QTest::newRow("TQ1_0") << GgmlType::TQ1_0;
        QTest::newRow("TQ2_0") << GgmlType::TQ2_0;
        QTest::newRow("MXFP4") << GgmlType::MXFP4;
        QTest::newRow("IQ3_XXS") << GgmlType::IQ3_XXS;
        QTest::newRow("IQ2_XXS") << GgmlType::IQ2_XXS;
        QTest::newRow("IQ3_S") << GgmlType::IQ3_S;
        QTest::newRow("IQ2_XS") << GgmlType::IQ2_XS;
        QTest::newRow("IQ2_S") << GgmlType::IQ2_S;
        QTest::newRow("IQ1_S") << GgmlType::IQ1_S;
        QTest::newRow("IQ1_M") << GgmlType::IQ1_M;
    }

    void loadsAndGenerates() {
        QFETCH(GgmlType, type);
        const std::string stem = dir_.path().toStdString() + "/" + std::string(typeName(type));
        const std::filesystem::path quantized = stem + ".gguf", decoded = stem + "-f32.gguf";
        writeModels(type, quantized, decoded);
        QCOMPARE(QString::fromStdString(open(quantized, BackendKind::Reference)->info().fileType),
                 QString::fromUtf8(typeName(type).data()));

        std::vector<int32_t> tokens;
        for (int i = 0; i < 40; ++i) tokens.push_back(3 + (i * 97) % int(kVocabulary - 3));
        const std::vector<float> exact = logits(quantized, BackendKind::Reference, tokens);
        const std::vector<float> twin = logits(decoded, BackendKind::Reference, tokens);
        const std::vector<float> fast = logits(quantized, BackendKind::Cpu, tokens);
        QCOMPARE(exact.size(), tokens.size() * kVocabulary);
        QCOMPARE(twin.size(), exact.size());
        QCOMPARE(fast.size(), exact.size());

        double worstTwin = 0, worstFast = 0, spread = 0;
        int sameTop = 0;
        for (size_t p = 0; p < tokens.size(); ++p) {
            const float* e = exact.data() + p * kVocabulary;
            for (size_t v = 0; v < kVocabulary; ++v) {
                worstTwin = std::max(worstTwin, double(std::fabs(e[v] - twin[p * kVocabulary + v])));
                worstFast = std::max(worstFast, double(std::fabs(e[v] - fast[p * kVocabulary + v])));
                spread = std::max(spread, double(std::fabs(e[v])));
            }
            sameTop += argmax(e) == argmax(fast.data() + p * kVocabulary);
        }
        qInfo("%s: largest logit %.3f, off from the F32 twin by %.3g, fast path by %.3g, same top token %d/%zu",
              typeName(type).data(), spread, worstTwin, worstFast, sameTop, tokens.size());
        QVERIFY(spread > 0.1);  // logits that all vanish would hide any difference
        QVERIFY2(worstTwin <= 1e-4 * spread, qPrintable(QString::number(worstTwin)));
        // The fast path rounds its inputs to 8 bits plus their remainder (README: fast CPU path).
        QVERIFY2(worstFast <= 1e-3 * spread, qPrintable(QString::number(worstFast)));
        QCOMPARE(sameTop, int(tokens.size()));

        Session session(open(quantized, BackendKind::Cpu));
        GenerateOptions o;
        o.sampling = SamplingParams::greedy();
        o.maxTokens = 12;
        o.stop = {};
        const GenerationResult r = session.complete("w1 w2 w3", o, {});
        QVERIFY(r.generatedTokens > 0);
    }

    // A format not run is refused at load, naming it: Q8_K, which only
    // ggml's CPU products use between steps and no model file should hold.
    void formatsNotRunAreRefusedByName() {
        const std::string stem = dir_.path().toStdString() + "/refused";
        writeModels(GgmlType::IQ4_XS, stem + ".gguf", stem + "-f32.gguf", GgmlType::Q8_K);
        try {
            open(stem + ".gguf", BackendKind::Cpu);
            QFAIL("a model with a Q8_K matrix loaded");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Unsupported);
            QVERIFY2(std::string(e.what()).find("blk.0.ffn_down.weight uses the Q8_K format, which Nibble cannot run "
                                                "yet") != std::string::npos,
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestIQuantModel)
#include "test_iquant_model.moc"
