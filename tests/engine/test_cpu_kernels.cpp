// The fast CPU kernels (cpu/kernel_table.h), every set this processor runs:
// each activation quantizer keeps inputs within half a step, and each tile of
// integer dot products equals, up to float rounding, the f32 product of the
// dequantized weights with the dequantized activations. That pins down the
// arithmetic exactly; how much 8-bit activations cost in accuracy is measured
// on real models by test_fast_cpu_inference.
#include "cpu/kernels.h"
#include "tensor/dequantize.h"
#include "tensor/ggml_type.h"
#include "tensor/half.h"
#include "tensor/quantize.h"
#include "kernel_samples.h"

#include <QTest>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace nibble;
using namespace nibble::cpu;
using namespace nibble::test;

Q_DECLARE_METATYPE(nibble::cpu::Isa)
Q_DECLARE_METATYPE(nibble::GgmlType)

class TestCpuKernels : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        QString names;
        for (Isa isa : supportedIsas()) names += QString::fromUtf8(isaName(isa).data()) + " ";
        qInfo("kernel sets this processor runs (all tested): %s", qPrintable(names));
    }

    void everyMatrixTypeHasAPortableKernel() {
        const KernelTable& portable = kernelTable(Isa::Portable);
        for (GgmlType type : kMatrixTypes) {
            const WeightKernel& kernel = portable.weights[static_cast<int>(type)];
            QVERIFY2(kernel.dot, qPrintable(QString("no portable kernel for %1").arg(typeName(type).data())));
            QVERIFY2(portable.quantize[static_cast<int>(kernel.activation)] || kernel.activation == ActivationFormat::F32,
                     qPrintable(QString("no quantizer for %1's activations").arg(typeName(type).data())));
        }
    }

    void quantizersKeepInputsWithinHalfAStep_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<int>("format");
        for (Isa isa : supportedIsas())
            for (ActivationFormat format : {ActivationFormat::Q8_0, ActivationFormat::Q8_K})
                if (kernelTable(isa).quantize[static_cast<int>(format)])
                    QTest::addRow("%s/%s", isaName(isa).data(), format == ActivationFormat::Q8_0 ? "q8_0" : "q8_k")
                        << isa << static_cast<int>(format);
        if (!kernelTable(Isa::Portable).quantize[0])
            QTest::addRow("missing") << Isa::Portable << -1;
    }

    void quantizersKeepInputsWithinHalfAStep() {
        QFETCH(Isa, isa);
        QFETCH(int, format);
        QVERIFY2(format >= 0, "the portable set has no activation quantizer");
        const auto fmt = static_cast<ActivationFormat>(format);
        std::mt19937 rng(7);
        const int64_t k = 1024;
        std::vector<float> x = randomFloats(rng, size_t(k), 1.0f);
        for (int64_t i = 0; i < blockOf(fmt); ++i) x[size_t(i)] = 0.0f;  // an all-zero block must not divide by zero
        x[300] = 40.0f;                                                   // an outlier sets its block's step
        std::vector<uint8_t> row(activationRowBytes(fmt, k));
        kernelTable(isa).quantize[format](x.data(), row.data(), k);
        const std::vector<double> back = activationValues(fmt, row.data(), k);
        const int block = blockOf(fmt);
        for (int64_t b = 0; b < k / block; ++b) {
            float maxAbs = 0;
            for (int j = 0; j < block; ++j) maxAbs = std::max(maxAbs, std::fabs(x[size_t(b * block + j)]));
            const double step = maxAbs / 127.0;
            for (int j = 0; j < block; ++j) {
                const size_t i = size_t(b * block + j);
                QVERIFY2(std::isfinite(back[i]), "a quantized input is not finite");
                QVERIFY2(std::fabs(back[i] - x[i]) <= step * 0.5 * 1.001 + 1e-7,
                         qPrintable(QString("input %1: %2 came back as %3").arg(i).arg(x[i]).arg(back[i])));
            }
            if (fmt == ActivationFormat::Q8_0) {
                ActivationQ8_0 q;
                std::memcpy(&q, row.data() + b * sizeof q, sizeof q);
                int sum = 0;
                for (int j = 0; j < 32; ++j) sum += q.q[j];
                QVERIFY(std::fabs(q.sum - q.d * float(sum)) <= 1e-5f * (std::fabs(q.sum) + 1.0f));
            } else {
                ActivationQ8_K q;
                std::memcpy(&q, row.data() + b * sizeof q, sizeof q);
                for (int s = 0; s < 16; ++s) {
                    int sum = 0;
                    for (int j = 0; j < 16; ++j) sum += q.q[s * 16 + j];
                    QCOMPARE(int(q.bsums[s]), sum);
                }
            }
        }
    }

    void tilesEqualTheDequantizedProduct_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<GgmlType>("type");
        for (Isa isa : supportedIsas())
            for (GgmlType type : kMatrixTypes)
                if (kernelTable(isa).weights[static_cast<int>(type)].dot)
                    QTest::addRow("%s/%s", isaName(isa).data(), typeName(type).data()) << isa << type;
        if (!kernelTable(Isa::Portable).weights[static_cast<int>(GgmlType::Q8_0)].dot)
            QTest::addRow("missing") << Isa::Portable << GgmlType::Q8_0;
    }

    void tilesEqualTheDequantizedProduct() {
        QFETCH(Isa, isa);
        QFETCH(GgmlType, type);
        const KernelTable& table = kernelTable(isa);
        const WeightKernel kernel = table.weights[static_cast<int>(type)];
        QVERIFY2(kernel.dot, "the portable set has no Q8_0 kernel");
        std::mt19937 rng(uint32_t(static_cast<int>(type)) * 31 + uint32_t(static_cast<int>(isa)));
        // 576 (SmolLM2's width) is 18 blocks of 32: not a multiple of an unrolled loop's step.
        for (int64_t k : {int64_t(256), int64_t(576), int64_t(768), int64_t(4096)}) {
            const TypeTraits traits = *typeTraits(type);
            if (k % traits.blockSize != 0) continue;
            const size_t wStride = size_t(k / traits.blockSize) * traits.blockBytes;
            const std::vector<uint8_t> w = randomWeightRows(rng, type, kMaxTileRows, k);
            // Input rows: a small-valued one, a large-valued one, and ones in between.
            const size_t xStride = activationRowBytes(kernel.activation, k) + 40;  // rows need not be packed
            std::vector<uint8_t> x(xStride * kMaxTileCols);
            for (int c = 0; c < kMaxTileCols; ++c) {
                const std::vector<float> values = randomFloats(rng, size_t(k), c == 0 ? 0.01f : float(c * c));
                if (kernel.activation == ActivationFormat::F32)
                    std::memcpy(x.data() + c * xStride, values.data(), size_t(k) * 4);
                else
                    table.quantize[static_cast<int>(kernel.activation)](values.data(), x.data() + c * xStride, k);
            }
            double expected[kMaxTileCols][kMaxTileRows], magnitude[kMaxTileCols][kMaxTileRows];
            std::vector<float> row(static_cast<size_t>(k));
            for (int r = 0; r < kMaxTileRows; ++r) {
                dequantizeRow(type, w.data() + r * wStride, row.data(), k);
                for (int c = 0; c < kMaxTileCols; ++c) {
                    const std::vector<double> a = activationValues(kernel.activation, x.data() + c * xStride, k);
                    double sum = 0, mag = 0;
                    for (int64_t i = 0; i < k; ++i) {
                        sum += double(row[size_t(i)]) * a[size_t(i)];
                        mag += std::fabs(double(row[size_t(i)]) * a[size_t(i)]);
                    }
                    expected[c][r] = sum;
                    magnitude[c][r] = mag;
                }
            }
            for (int rows = 1; rows <= kMaxTileRows; ++rows)
                for (int cols = 1; cols <= kMaxTileCols; ++cols) {
                    const size_t ldy = kMaxTileRows + 3;
                    std::vector<float> y(ldy * kMaxTileCols, -12345.0f);
                    kernel.dot(k, w.data(), wStride, rows, x.data(), xStride, cols, y.data(), ldy);
                    for (int c = 0; c < kMaxTileCols; ++c)
                        for (size_t r = 0; r < ldy; ++r) {
                            const float got = y[c * ldy + r];
                            if (c >= cols || r >= size_t(rows)) {
                                QVERIFY2(got == -12345.0f, "the kernel wrote outside its tile");
                                continue;
                            }
                            const double tolerance = 1e-5 * magnitude[c][r] + 1e-9;
                            QVERIFY2(std::fabs(got - expected[c][r]) <= tolerance,
                                     qPrintable(QString("k %1, tile %2x%3, row %4, input %5: %6, expected %7")
                                                    .arg(k).arg(rows).arg(cols).arg(r).arg(c).arg(got)
                                                    .arg(expected[c][r], 0, 'g', 9)));
                        }
                }
        }
    }
};

QTEST_GUILESS_MAIN(TestCpuKernels)
#include "test_cpu_kernels.moc"
