// The fast CPU kernels (cpu/kernel_table.h), every set this processor runs:
// each activation quantizer keeps inputs within half a step, and each tile of
// integer dot products equals, up to float rounding, the f32 product of the
// dequantized weights with the dequantized activations (refined inputs: the
// sum of both rows' values, where a set has a kernel for them). That pins down the
// arithmetic exactly; how much 8-bit activations cost in accuracy is measured
// on real models by test_fast_cpu_inference.
#include "cpu/fast_matmul.h"
#include "cpu/kernels.h"
#include "tensor/ggml_type.h"
#include "kernel_checks.h"

#include <QTest>

#include <string>

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

    // Without one, refined products of that type would fall back to the
    // exact reference product, many times slower.
    void everyKernelWithByteInputsTakesRefinedOnes() {
        for (Isa isa : supportedIsas())
            for (GgmlType type : kMatrixTypes) {
                const WeightKernel& kernel = kernelTable(isa).weights[static_cast<int>(type)];
                if (kernel.activation != ActivationFormat::F32)
                    QVERIFY2(kernel.refinedDot, qPrintable(QString("%1/%2 has no kernel for refined inputs")
                                                               .arg(isaName(isa).data(), typeName(type).data())));
                if (kernel.refinedInput == RefinedInput::Q16_0)
                    QVERIFY2(kernelTable(isa).quantize[static_cast<int>(ActivationFormat::Q16_0)],
                             qPrintable(QString("%1/%2 takes 16-bit refined inputs that nothing quantizes")
                                            .arg(isaName(isa).data(), typeName(type).data())));
            }
    }

    void quantizersKeepInputsWithinHalfAStep_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<int>("format");
        for (Isa isa : supportedIsas())
            for (ActivationFormat format : {ActivationFormat::Q8_0, ActivationFormat::Q8_K, ActivationFormat::Q16_0})
                if (kernelTable(isa).quantize[static_cast<int>(format)])
                    QTest::addRow("%s/%s", isaName(isa).data(),
                                  format == ActivationFormat::Q8_0   ? "q8_0"
                                  : format == ActivationFormat::Q8_K ? "q8_k"
                                                                     : "q16_0")
                        << isa << static_cast<int>(format);
        if (!kernelTable(Isa::Portable).quantize[0])
            QTest::addRow("missing") << Isa::Portable << -1;
    }

    void quantizersKeepInputsWithinHalfAStep() {
        QFETCH(Isa, isa);
        QFETCH(int, format);
        QVERIFY2(format >= 0, "the portable set has no activation quantizer");
        const std::string error = checkQuantizer(kernelTable(isa), static_cast<ActivationFormat>(format));
        QVERIFY2(error.empty(), error.c_str());
    }

    // A set's one-pass quantizer of refined inputs writes the same bytes as
    // its 8-bit quantizer followed by the generic remainder, which the tile
    // checks below and test_fast_matmul rest on.
    void refinedQuantizersEqualTheTwoPasses_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<int>("format");
        for (Isa isa : supportedIsas())
            for (ActivationFormat format : {ActivationFormat::Q8_0, ActivationFormat::Q8_K})
                if (kernelTable(isa).quantizeRefined[static_cast<int>(format)])
                    QTest::addRow("%s/%s", isaName(isa).data(), format == ActivationFormat::Q8_0 ? "q8_0" : "q8_k")
                        << isa << static_cast<int>(format);
        bool any = false;
        for (Isa isa : supportedIsas()) any = any || kernelTable(isa).quantizeRefined[0] || kernelTable(isa).quantizeRefined[1];
        if (!any) QTest::addRow("none") << Isa::Portable << -1;
    }

    void refinedQuantizersEqualTheTwoPasses() {
        QFETCH(Isa, isa);
        QFETCH(int, format);
        if (format < 0) QSKIP("no kernel set on this processor has a one-pass quantizer of refined inputs");
        const KernelTable& table = kernelTable(isa);
        const auto fmt = static_cast<ActivationFormat>(format);
        std::mt19937 rng(11);
        const int64_t k = 1024;
        std::vector<float> x = randomFloats(rng, size_t(k), 3.0f);
        for (int64_t i = 0; i < blockOf(fmt); ++i) x[size_t(i)] = 0.0f;  // an all-zero block
        x[300] = 40.0f;                                                   // an outlier
        const size_t bytes = activationRowBytes(fmt, k);
        std::vector<uint8_t> coarse(bytes), fine(bytes), twoPassCoarse(bytes), twoPassFine(bytes);
        table.quantizeRefined[format](x.data(), coarse.data(), fine.data(), k);
        table.quantize[format](x.data(), twoPassCoarse.data(), k);
        quantizeRemainder(x.data(), twoPassCoarse.data(), fmt, k, twoPassFine.data());
        QVERIFY2(coarse == twoPassCoarse, "the 8-bit row differs");
        for (size_t i = 0; i < bytes; ++i)
            QVERIFY2(fine[i] == twoPassFine[i], qPrintable(QString("remainder byte %1 differs").arg(i)));
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
        QVERIFY2(kernelTable(isa).weights[static_cast<int>(type)].dot, "the portable set has no Q8_0 kernel");
        const std::string error = checkTiles(kernelTable(isa), type);
        QVERIFY2(error.empty(), error.c_str());
    }

    void refinedTilesEqualTheDequantizedProduct_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<GgmlType>("type");
        for (Isa isa : supportedIsas())
            for (GgmlType type : kMatrixTypes)
                if (kernelTable(isa).weights[static_cast<int>(type)].refinedDot)
                    QTest::addRow("%s/%s", isaName(isa).data(), typeName(type).data()) << isa << type;
        if (!kernelTable(Isa::Portable).weights[static_cast<int>(GgmlType::Q4_1)].refinedDot)
            QTest::addRow("missing") << Isa::Portable << GgmlType::Q4_1;
    }

    void refinedTilesEqualTheDequantizedProduct() {
        QFETCH(Isa, isa);
        QFETCH(GgmlType, type);
        const std::string error = checkTiles(kernelTable(isa), type, true);
        QVERIFY2(error.empty(), error.c_str());
    }

    void promptTilesEqualTheDequantizedProduct_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<GgmlType>("type");
        for (Isa isa : supportedIsas())
            for (GgmlType type : kMatrixTypes)
                if (kernelTable(isa).weights[static_cast<int>(type)].promptDot)
                    QTest::addRow("%s/%s", isaName(isa).data(), typeName(type).data()) << isa << type;
        bool any = false;
        for (Isa isa : supportedIsas())
            for (GgmlType type : kMatrixTypes) any = any || kernelTable(isa).weights[static_cast<int>(type)].promptDot;
        if (!any) QTest::addRow("none") << Isa::Portable << GgmlType::Q8_0;
    }

    void promptTilesEqualTheDequantizedProduct() {
        QFETCH(Isa, isa);
        QFETCH(GgmlType, type);
        if (!kernelTable(isa).weights[static_cast<int>(type)].promptDot)
            QSKIP("no kernel set on this processor has prompt tiles");
        const std::string error = checkTiles(kernelTable(isa), type, true, true);
        QVERIFY2(error.empty(), error.c_str());
    }

    void gatesMatchLibm_data() {
        QTest::addColumn<Isa>("isa");
        for (Isa isa : supportedIsas()) QTest::addRow("%s", isaName(isa).data()) << isa;
    }

    // Against the same formulas in double with std::tanh and std::exp,
    // from the float input. The float argument's own rounding (a few ulps
    // of u, times |u| in exp's relative error) is the allowance beyond
    // 1e-6; an odd length exercises the masked tail. exp's argument is
    // clamped at 88, so far negative inputs give at most |x| e^-88 (under
    // 1e-35 here) where the true value is smaller still.
    void gatesMatchLibm() {
        QFETCH(Isa, isa);
        const KernelTable& table = kernelTable(isa);
        QVERIFY(table.geluGate && table.siluGate);
        std::vector<float> xs;
        for (float x = -30.0f; x <= 30.0f; x += 0.00731f) xs.push_back(x);
        for (float x : {0.0f, -0.0f, 1e-20f, -1e-20f, 200.0f, -200.0f}) xs.push_back(x);
        std::vector<float> up(xs.size());
        for (size_t i = 0; i < up.size(); ++i) up[i] = 0.5f + float(i % 7) * 0.25f;
        std::vector<float> gelu = xs, silu = xs;
        table.geluGate(gelu.data(), up.data(), gelu.size());
        table.siluGate(silu.data(), up.data(), silu.size());
        for (size_t i = 0; i < xs.size(); ++i) {
            const double x = xs[i];
            const double u = 0.7978845608028654 * x * (1.0 + 0.044715 * x * x);
            // x / (1 + exp(-2u)), the exact value of x / 2 * (1 + tanh(u)) without its cancellation.
            const double geluRef = x / (1.0 + std::exp(-2.0 * u)) * up[i];
            const double siluRef = x / (1.0 + std::exp(-x)) * up[i];
            const double geluTol = std::fabs(geluRef) * (1e-6 + 4.8e-7 * std::fabs(u)) + 1e-35;
            const double siluTol = std::fabs(siluRef) * (1e-6 + 2.4e-7 * std::fabs(x)) + 1e-35;
            QVERIFY2(std::fabs(gelu[i] - geluRef) <= geluTol,
                     qPrintable(QString("GELU(%1) = %2, expected %3").arg(x).arg(gelu[i]).arg(geluRef)));
            QVERIFY2(std::fabs(silu[i] - siluRef) <= siluTol,
                     qPrintable(QString("SiLU(%1) = %2, expected %3").arg(x).arg(silu[i]).arg(siluRef)));
            // And against libm's float tanh, which the reference path uses.
            const float tanhGelu = 0.5f * xs[i] * (1.0f + std::tanh(0.7978845608f * xs[i] * (1.0f + 0.044715f * xs[i] * xs[i])));
            QVERIFY2(std::fabs(gelu[i] - tanhGelu * up[i]) <= 1e-6 * std::max(1.0, std::fabs(x)) * up[i],
                     qPrintable(QString("GELU(%1) = %2, libm tanh gives %3").arg(x).arg(gelu[i]).arg(tanhGelu * up[i])));
        }
    }
};

QTEST_GUILESS_MAIN(TestCpuKernels)
#include "test_cpu_kernels.moc"
