// Dequantization: bit-exact with gguf-py (llama.cpp's reference) on random
// blocks of every supported type and on rows of the real models; dotRow
// agrees with the dequantized row; fp16/bf16 conversion is exact.
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "tensor/block_formats.h"
#include "tensor/dequantize.h"
#include "tensor/half.h"
#include "quant_test_data.h"
#include "random_blocks.h"
#include "test_models.h"

#include <QTest>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <vector>

using namespace nibble;
using nibble::test::randomRow;

namespace {

// Reads little-endian values from a byte buffer, failing the test on overrun.
struct Reader {
    const std::vector<uint8_t>& bytes;
    size_t pos = 0;
    template <typename T>
    T get() {
        T v{};
        if (pos + sizeof(T) > bytes.size()) throw std::runtime_error("vector file truncated");
        std::memcpy(&v, bytes.data() + pos, sizeof(T));
        pos += sizeof(T);
        return v;
    }
    const uint8_t* take(size_t n) {
        if (pos + n > bytes.size()) throw std::runtime_error("vector file truncated");
        pos += n;
        return bytes.data() + pos - n;
    }
};

size_t rowBytes(GgmlType type, int64_t n) {
    const auto traits = *typeTraits(static_cast<uint32_t>(type));
    return size_t(n / traits.blockSize) * traits.blockBytes;
}

// Index of the first float whose bits differ, or -1.
int64_t firstMismatch(const float* got, const float* want, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i])) return i;
    return -1;
}

// Reference dot product in double, and the scale its rounding error is measured against.
struct Dot {
    double value = 0;
    double magnitude = 0;
};

Dot referenceDot(const std::vector<float>& w, const float* x) {
    Dot d;
    for (size_t i = 0; i < w.size(); ++i) {
        d.value += double(w[i]) * x[i];
        d.magnitude += std::fabs(double(w[i]) * x[i]);
    }
    return d;
}

const GgmlType kSupported[] = {
    GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1,
    GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K,
    GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS,
    GgmlType::TQ1_0, GgmlType::TQ2_0, GgmlType::MXFP4,
    GgmlType::IQ3_XXS,
    GgmlType::IQ2_XXS,
    GgmlType::IQ3_S,
    GgmlType::IQ2_XS,
    GgmlType::IQ2_S,
    GgmlType::IQ1_S,
    GgmlType::IQ1_M,
};

// The fp16 value of h computed the textbook way, to check halfToFloat against.
double halfValue(uint16_t h) {
    const int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
    double v;
    if (exponent == 0)
        v = std::ldexp(double(mantissa), -24);
    else if (exponent == 31)
        v = mantissa ? NAN : INFINITY;
    else
        v = std::ldexp(1024.0 + mantissa, exponent - 25);
    return sign ? -v : v;
}

}  // namespace

class TestDequantize : public QObject {
    Q_OBJECT

private slots:
    void matchesGgufPy_data() {
        QTest::addColumn<GgmlType>("type");
        for (GgmlType type : kSupported)
            if (type != GgmlType::F32) QTest::newRow(typeName(type).data()) << type;
    }

    void matchesGgufPy() {
        QFETCH(GgmlType, type);
        const auto path = test::quantVectorDir() / ("dequant_" + std::string(typeName(type)) + ".bin");
        const auto bytes = test::readBytes(path);
        QVERIFY2(!bytes.empty(), qPrintable(QString::fromStdString("missing " + path.string())));
        Reader r{bytes};
        const auto n = int64_t(r.get<uint32_t>());
        const uint8_t* raw = r.take(rowBytes(type, n));
        std::vector<float> want(static_cast<size_t>(n));
        std::memcpy(want.data(), r.take(size_t(n) * 4), size_t(n) * 4);
        QCOMPARE(r.pos, bytes.size());

        std::vector<float> got(static_cast<size_t>(n));
        dequantizeRow(type, raw, got.data(), n);
        const int64_t bad = firstMismatch(got.data(), want.data(), n);
        QVERIFY2(bad < 0, qPrintable(QStringLiteral("weight %1: got %2, gguf-py %3")
                                         .arg(bad).arg(got[size_t(std::max<int64_t>(bad, 0))], 0, 'g', 9)
                                         .arg(want[size_t(std::max<int64_t>(bad, 0))], 0, 'g', 9)));
    }

    // Rows of the real models' tensors, dequantized by gguf-py when the vectors were made.
    void realModelRowsMatchGgufPy() {
        const auto bytes = test::readBytes(test::quantVectorDir() / "model_rows.bin");
        QVERIFY(!bytes.empty());
        Reader r{bytes};
        const uint32_t count = r.get<uint32_t>();
        QVERIFY(count >= 8);
        std::map<std::string, std::unique_ptr<gguf::GgufFile>> files;
        std::map<GgmlType, int> typesSeen;
        for (uint32_t k = 0; k < count; ++k) {
            const auto modelLen = r.get<uint32_t>();
            const std::string model(reinterpret_cast<const char*>(r.take(modelLen)), modelLen);
            const auto nameLen = r.get<uint32_t>();
            const std::string name(reinterpret_cast<const char*>(r.take(nameLen)), nameLen);
            const auto type = static_cast<GgmlType>(r.get<uint32_t>());
            const auto row = r.get<uint64_t>();
            const auto n = int64_t(r.get<uint32_t>());
            std::vector<float> want(static_cast<size_t>(n));
            std::memcpy(want.data(), r.take(size_t(n) * 4), size_t(n) * 4);

            NIBBLE_REQUIRE_MODEL(path, QString::fromStdString(model));
            auto& file = files[model];
            if (!file) file = std::make_unique<gguf::GgufFile>(path);
            const gguf::TensorInfo* tensor = file->findTensor(name);
            QVERIFY2(tensor, name.c_str());
            QCOMPARE(tensor->type, type);
            QCOMPARE(int64_t(tensor->shape[0]), n);
            const uint8_t* data = tensor->data + row * rowBytes(type, n);

            std::vector<float> got(static_cast<size_t>(n));
            dequantizeRow(type, data, got.data(), n);
            const int64_t bad = firstMismatch(got.data(), want.data(), n);
            QVERIFY2(bad < 0, qPrintable(QStringLiteral("%1 row %2 weight %3 differs from gguf-py")
                                             .arg(QString::fromStdString(name)).arg(row).arg(bad)));

            std::vector<float> x(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) x[size_t(i)] = std::sin(0.37f * float(i));
            const Dot ref = referenceDot(got, x.data());
            QVERIFY(std::fabs(dotRow(type, data, x.data(), n) - ref.value) <= 1e-5 * ref.magnitude);
            ++typesSeen[type];
        }
        QCOMPARE(r.pos, bytes.size());
        for (GgmlType type : {GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q6_K})
            QVERIFY2(typesSeen.count(type), typeName(type).data());
    }

    void dotRowMatchesDequantizedDot_data() {
        QTest::addColumn<GgmlType>("type");
        QTest::addColumn<int64_t>("blocks");
        for (GgmlType type : kSupported) {
            const bool plain = typeTraits(static_cast<uint32_t>(type))->blockSize == 1;
            for (int64_t blocks : plain ? std::vector<int64_t>{1, 15, 16, 17, 100, 1001} : std::vector<int64_t>{1, 2, 3, 7, 33})
                QTest::addRow("%s x%lld", typeName(type).data(), static_cast<long long>(blocks)) << type << blocks;
        }
    }

    void dotRowMatchesDequantizedDot() {
        QFETCH(GgmlType, type);
        QFETCH(int64_t, blocks);
        const int64_t n = blocks * typeTraits(static_cast<uint32_t>(type))->blockSize;
        std::mt19937 rng(uint32_t(n) * 31u + uint32_t(type));
        const auto row = randomRow(type, n, rng);
        std::normal_distribution<float> normal(0.f, 1.f);
        // x sits right after the row's end in its own allocation, so ASan sees any overrun.
        auto x = std::make_unique<float[]>(size_t(n));
        for (int64_t i = 0; i < n; ++i) x[size_t(i)] = normal(rng);

        std::vector<float> weights(static_cast<size_t>(n));
        dequantizeRow(type, row.data(), weights.data(), n);
        const Dot ref = referenceDot(weights, x.get());
        QVERIFY(ref.magnitude > 0);
        const float got = dotRow(type, row.data(), x.get(), n);
        QVERIFY2(std::fabs(got - ref.value) <= 1e-5 * ref.magnitude,
                 qPrintable(QStringLiteral("dotRow %1, reference %2").arg(got, 0, 'g', 9).arg(ref.value, 0, 'g', 12)));
    }

    void halfToFloatIsExactForEveryHalf() {
        for (uint32_t h = 0; h < 0x10000; ++h) {
            const float f = halfToFloat(uint16_t(h));
            const double want = halfValue(uint16_t(h));
            if (std::isnan(want)) {
                QVERIFY(std::isnan(f));
                // The payload travels into the top of the float mantissa.
                QCOMPARE(std::bit_cast<uint32_t>(f) & 0x007fe000u, (h & 0x03ffu) << 13);
                continue;
            }
            QCOMPARE(double(f), want);
            QCOMPARE(std::signbit(f), bool(h & 0x8000));
            QCOMPARE(floatToHalf(f), uint16_t(h));
        }
    }

    void floatToHalfRoundsToNearestEven() {
        QCOMPARE(floatToHalf(1.0f), uint16_t(0x3c00));
        QCOMPARE(floatToHalf(1.0f + 0x1p-11f), uint16_t(0x3c00));         // tie, even stays
        QCOMPARE(floatToHalf(1.0f + 3 * 0x1p-11f), uint16_t(0x3c02));     // tie, odd rounds up
        QCOMPARE(floatToHalf(0x1p-25f), uint16_t(0x0000));                // half the smallest subnormal: tie to 0
        QCOMPARE(floatToHalf(0x1.8p-24f), uint16_t(0x0002));              // 1.5 ulp: tie to even 2
        QCOMPARE(floatToHalf(std::nextafter(0x1p-25f, 1.f)), uint16_t(0x0001));
        QCOMPARE(floatToHalf(65519.0f), uint16_t(0x7bff));
        QCOMPARE(floatToHalf(65520.0f), uint16_t(0x7c00));
        QCOMPARE(floatToHalf(-INFINITY), uint16_t(0xfc00));
        QCOMPARE(floatToHalf(-0.0f), uint16_t(0x8000));
        QCOMPARE(floatToHalf(std::bit_cast<float>(0x7fc00000u)), uint16_t(0x7e00));
        QVERIFY(std::isnan(halfToFloat(floatToHalf(std::bit_cast<float>(0x7f800001u)))));  // signalling NaN stays NaN
    }

    void bf16Conversion() {
        QCOMPARE(floatToBf16(1.0f), uint16_t(0x3f80));
        QCOMPARE(floatToBf16(std::bit_cast<float>(0x3f808000u)), uint16_t(0x3f80));  // tie, even stays
        QCOMPARE(floatToBf16(std::bit_cast<float>(0x3f818000u)), uint16_t(0x3f82));  // tie, odd rounds up
        QCOMPARE(floatToBf16(std::bit_cast<float>(0x7f7fffffu)), uint16_t(0x7f80));  // FLT_MAX rounds to infinity
        QCOMPARE(floatToBf16(std::bit_cast<float>(0x7f800001u)), uint16_t(0x7fc0));  // NaN quieted
        for (uint32_t b = 0; b < 0x10000; ++b) {
            const float f = bf16ToFloat(uint16_t(b));
            QCOMPARE(std::bit_cast<uint32_t>(f), b << 16);
            if (!std::isnan(f)) QCOMPARE(floatToBf16(f), uint16_t(b));
        }
    }

    void unsupportedTypesAreRefused_data() {
        QTest::addColumn<uint32_t>("type");
        for (GgmlType t : {GgmlType::Q8_1, GgmlType::Q8_K,
                           GgmlType::F64, GgmlType::I32})
            QTest::newRow(typeName(t).data()) << static_cast<uint32_t>(t);
        QTest::newRow("unknown") << 99u;
    }

    void unsupportedTypesAreRefused() {
        QFETCH(uint32_t, type);
        std::vector<uint8_t> row(4096);
        std::vector<float> out(256), x(256);
        for (int op = 0; op < 2; ++op) {
            try {
                if (op == 0)
                    dequantizeRow(static_cast<GgmlType>(type), row.data(), out.data(), 256);
                else
                    dotRow(static_cast<GgmlType>(type), row.data(), x.data(), 256);
                QFAIL("an unsupported type was accepted");
            } catch (const Error& e) {
                QCOMPARE(e.kind(), ErrorKind::Unsupported);
                const QString message = QString::fromUtf8(e.what());
                QVERIFY2(message.contains("not supported"), e.what());
                const auto traits = typeTraits(type);
                QVERIFY2(message.contains(traits ? QString::fromUtf8(traits->name.data(), traits->name.size())
                                                 : QStringLiteral("99")),
                         e.what());
            }
        }
    }

    void partialBlocksAreRefused() {
        std::vector<uint8_t> row(1024);
        std::vector<float> out(300);
        try {
            dequantizeRow(GgmlType::Q4_K, row.data(), out.data(), 300);
            QFAIL("a row of 300 Q4_K weights was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
            QVERIFY2(QString::fromUtf8(e.what()).contains("256"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestDequantize)
#include "test_dequantize.moc"
