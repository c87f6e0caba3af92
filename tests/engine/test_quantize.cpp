// Quantization: bit-exact with gguf-py (which reproduces ggml's reference
// quantizers) where gguf-py can quantize; bounded round-trip error for every
// type; importance weights lower the weighted error; row sizes equal those
// of the established tool's files.
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "tensor/dequantize.h"
#include "tensor/quantize.h"
#include "quant_test_data.h"
#include "test_models.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace nibble;

namespace {

const GgmlType kQuantizable[] = {
    GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
    GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_NL,
    GgmlType::IQ4_XS,
};

std::vector<float> roundTrip(GgmlType type, const std::vector<float>& x, const float* importance = nullptr) {
    const auto n = int64_t(x.size());
    std::vector<uint8_t> bytes(quantizedRowBytes(type, n));
    QTest::qVerify(quantizeRow(type, x.data(), bytes.data(), n, importance) == bytes.size(), "bytes", "", __FILE__,
                   __LINE__);
    std::vector<float> back(x.size());
    dequantizeRow(type, bytes.data(), back.data(), n);
    return back;
}

double weightedSquaredError(const std::vector<float>& x, const std::vector<float>& y, const std::vector<float>& w) {
    double sum = 0;
    for (size_t i = 0; i < x.size(); ++i) sum += double(w[i]) * (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    return sum;
}

double rms(const std::vector<float>& x) {
    double sum = 0;
    for (float v : x) sum += double(v) * v;
    return std::sqrt(sum / double(x.size()));
}

// Weights shaped like a trained layer's: normal, optionally with 1% outliers
// eight times larger.
std::vector<float> weightRow(int64_t n, uint32_t seed, bool outliers = true) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.f, 0.02f);
    std::uniform_int_distribution<int> pick(0, 99);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = normal(rng) * (outliers && pick(rng) == 0 ? 8.f : 1.f);
    return x;
}

}  // namespace

class TestQuantize : public QObject {
    Q_OBJECT

private slots:
    void matchesGgufPy_data() {
        QTest::addColumn<GgmlType>("type");
        for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                           GgmlType::F16, GgmlType::BF16})
            QTest::newRow(typeName(t).data()) << t;
    }

    void matchesGgufPy() {
        QFETCH(GgmlType, type);
        const auto path = test::quantVectorDir() / ("quant_" + std::string(typeName(type)) + ".bin");
        const auto file = test::readBytes(path);
        QVERIFY2(file.size() > 4, qPrintable(QString::fromStdString("missing " + path.string())));
        uint32_t n;
        std::memcpy(&n, file.data(), 4);
        const size_t bytes = quantizedRowBytes(type, n);
        QCOMPARE(file.size(), 4 + size_t(n) * 4 + bytes);
        std::vector<float> x(n);
        std::memcpy(x.data(), file.data() + 4, size_t(n) * 4);
        const uint8_t* want = file.data() + 4 + size_t(n) * 4;

        std::vector<uint8_t> got(bytes);
        QCOMPARE(quantizeRow(type, x.data(), got.data(), n), bytes);
        for (size_t i = 0; i < bytes; ++i)
            QVERIFY2(got[i] == want[i], qPrintable(QStringLiteral("byte %1: got %2, gguf-py %3")
                                                       .arg(i).arg(got[i]).arg(want[i])));
    }

    // RMS error of quantize -> dequantize, relative to the row's RMS, for
    // normally distributed weights. Bounds sit a little above what ggml's
    // reference quantizers reach.
    void roundTripErrorIsBounded_data() {
        QTest::addColumn<GgmlType>("type");
        QTest::addColumn<double>("bound");
        QTest::newRow("F32") << GgmlType::F32 << 0.0;
        QTest::newRow("F16") << GgmlType::F16 << 0.0003;
        QTest::newRow("BF16") << GgmlType::BF16 << 0.0025;
        QTest::newRow("Q8_0") << GgmlType::Q8_0 << 0.007;
        QTest::newRow("Q6_K") << GgmlType::Q6_K << 0.022;
        QTest::newRow("Q5_0") << GgmlType::Q5_0 << 0.05;
        QTest::newRow("Q5_1") << GgmlType::Q5_1 << 0.045;
        QTest::newRow("Q5_K") << GgmlType::Q5_K << 0.043;
        QTest::newRow("Q4_0") << GgmlType::Q4_0 << 0.1;
        QTest::newRow("Q4_1") << GgmlType::Q4_1 << 0.09;
        QTest::newRow("Q4_K") << GgmlType::Q4_K << 0.085;
        QTest::newRow("IQ4_NL") << GgmlType::IQ4_NL << 0.08;
        QTest::newRow("IQ4_XS") << GgmlType::IQ4_XS << 0.08;
    }

    void roundTripErrorIsBounded() {
        QFETCH(GgmlType, type);
        QFETCH(double, bound);
        const auto x = weightRow(4096, 7, false);
        const auto y = roundTrip(type, x);
        const std::vector<float> ones(x.size(), 1.f);
        const double relative = std::sqrt(weightedSquaredError(x, y, ones) / double(x.size())) / rms(x);
        qInfo("%s relative RMS error %.5f", typeName(type).data(), relative);
        QVERIFY2(relative <= bound, qPrintable(QString::number(relative)));
    }

    void zeroAndConstantRowsSurvive_data() {
        QTest::addColumn<GgmlType>("type");
        for (GgmlType t : kQuantizable) QTest::newRow(typeName(t).data()) << t;
    }

    void zeroAndConstantRowsSurvive() {
        QFETCH(GgmlType, type);
        const std::vector<float> zeros(512, 0.f);
        for (float v : roundTrip(type, zeros)) QCOMPARE(v, 0.f);
        const std::vector<float> constant(512, 0.25f);
        for (float v : roundTrip(type, constant)) QVERIFY2(std::fabs(v - 0.25f) < 0.25f * 0.02f, qPrintable(QString::number(v)));
    }

    // Columns with high importance (activations that are large) must come out
    // more accurate than plain rounding leaves them, at the cost of the rest.
    void importanceLowersWeightedError_data() {
        QTest::addColumn<GgmlType>("type");
        for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K,
                           GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS})
            QTest::newRow(typeName(t).data()) << t;
    }

    void importanceLowersWeightedError() {
        QFETCH(GgmlType, type);
        const int64_t n = 2048;
        std::mt19937 rng(11);
        std::lognormal_distribution<float> skew(0.f, 2.f);
        std::vector<float> importance(static_cast<size_t>(n));
        for (auto& w : importance) w = skew(rng);
        double plain = 0, weighted = 0;
        for (uint32_t seed = 1; seed <= 4; ++seed) {
            const auto x = weightRow(n, seed);
            plain += weightedSquaredError(x, roundTrip(type, x), importance);
            weighted += weightedSquaredError(x, roundTrip(type, x, importance.data()), importance);
        }
        qInfo("%s weighted error: plain %.4g, with importance %.4g", typeName(type).data(), plain, weighted);
        QVERIFY2(weighted < 0.9 * plain, qPrintable(QStringLiteral("%1 vs %2").arg(weighted).arg(plain)));
    }

    // The point of the non-linear levels: at the same 4.5 bits per weight,
    // IQ4_NL loses less than Q4_0 and Q4_1 on normally distributed weights,
    // and IQ4_XS at 4.25 bits less than Q4_0 at 4.5. (With 1% large outliers
    // Q4_1's minimum wins: its levels then matter less than its offset.) The
    // levels must also all be used: a search stuck on one side would leave
    // some unused.
    void nonLinearLevelsBeatLinearOnes() {
        const auto x = weightRow(8192, 5, false);
        const std::vector<float> ones(x.size(), 1.f);
        const auto error = [&](GgmlType type) { return weightedSquaredError(x, roundTrip(type, x), ones); };
        const double q4_0 = error(GgmlType::Q4_0), q4_1 = error(GgmlType::Q4_1);
        const double nl = error(GgmlType::IQ4_NL), xs = error(GgmlType::IQ4_XS);
        qInfo("squared error: Q4_0 %.4g, Q4_1 %.4g, IQ4_NL %.4g, IQ4_XS %.4g", q4_0, q4_1, nl, xs);
        QVERIFY(nl < q4_0 && nl < q4_1);
        QVERIFY(xs < q4_0);

        for (GgmlType type : {GgmlType::IQ4_NL, GgmlType::IQ4_XS}) {
            std::vector<uint8_t> bytes(quantizedRowBytes(type, int64_t(x.size())));
            quantizeRow(type, x.data(), bytes.data(), int64_t(x.size()));
            const size_t blockBytes = typeTraits(type)->blockBytes;
            const size_t qsOffset = type == GgmlType::IQ4_NL ? 2 : 8;
            int used[16] = {};
            for (size_t b = 0; b < bytes.size() / blockBytes; ++b)
                for (size_t j = qsOffset; j < blockBytes; ++j) {
                    ++used[bytes[b * blockBytes + j] & 15];
                    ++used[bytes[b * blockBytes + j] >> 4];
                }
            for (int level = 0; level < 16; ++level)
                QVERIFY2(used[level] > 0, qPrintable(QStringLiteral("%1 never uses level %2")
                                                         .arg(typeName(type).data()).arg(level)));
        }
    }

    void sameInputSameBytes() {
        const auto x = weightRow(1024, 3);
        std::vector<float> importance(x.size(), 1.f);
        importance[5] = 50.f;
        for (GgmlType type : kQuantizable) {
            std::vector<uint8_t> a(quantizedRowBytes(type, 1024), 0x00), b(a.size(), 0xff);
            quantizeRow(type, x.data(), a.data(), 1024, importance.data());
            quantizeRow(type, x.data(), b.data(), 1024, importance.data());
            QVERIFY2(a == b, typeName(type).data());  // also catches bytes left unwritten
        }
    }

    // Every tensor of the real models has the size our row layout predicts.
    void rowSizesMatchRealModels() {
        for (const char* model : {test::kSmolLM2, test::kGemma3}) {
            NIBBLE_REQUIRE_MODEL(path, model);
            gguf::GgufFile file(path);
            for (const auto& t : file.tensors())
                QCOMPARE(quantizedRowBytes(t.type, int64_t(t.shape[0])) * t.rows(), t.byteSize);
        }
    }

    void unsupportedTypesAreRefused() {
        const std::vector<float> x(256, 1.f);
        std::vector<uint8_t> out(4096);
        for (GgmlType type : {GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::IQ2_XXS, GgmlType::Q8_K, GgmlType::MXFP4}) {
            QVERIFY(!canQuantize(type));
            try {
                quantizeRow(type, x.data(), out.data(), 256);
                QFAIL("an unsupported type was accepted");
            } catch (const Error& e) {
                QCOMPARE(e.kind(), ErrorKind::Unsupported);
                QVERIFY2(QString::fromUtf8(e.what()).contains(typeName(type).data()), e.what());
            }
        }
        for (GgmlType type : kQuantizable) QVERIFY(canQuantize(type));
        try {
            quantizeRow(GgmlType::Q4_0, x.data(), out.data(), 40);
            QFAIL("a partial block was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
        }
    }
};

QTEST_GUILESS_MAIN(TestQuantize)
#include "test_quantize.moc"
