// The fast CPU matrix product (cpu/fast_matmul.h) on every kernel set this
// processor runs, against the exact reference product: refined inputs (8
// bits plus an 8-bit remainder) land far closer to it than 8-bit inputs,
// typically a couple of hundred times, for every batch and row count,
// tile-aligned or not.
#include "cpu/cpu_ops.h"
#include "cpu/fast_matmul.h"
#include "cpu/kernels.h"
#include "kernel_checks.h"
#include "random_blocks.h"
#include "tensor/ggml_type.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <string>

using namespace nibble;
using namespace nibble::cpu;
using namespace nibble::test;

Q_DECLARE_METATYPE(nibble::cpu::Isa)
Q_DECLARE_METATYPE(nibble::GgmlType)

namespace {

// The largest error of y against the reference, each relative to the sum of
// its product's terms' magnitudes (what rounding the inputs scales with).
double relativeError(const std::vector<float>& y, const std::vector<float>& reference,
                     const std::vector<double>& magnitude) {
    double error = 0;
    for (size_t i = 0; i < y.size(); ++i)
        error = std::max(error, std::fabs(double(y[i]) - double(reference[i])) / magnitude[i]);
    return error;
}

}  // namespace

class TestFastMatmul : public QObject {
    Q_OBJECT

private slots:
    void refinedInputsComeCloserToTheReference_data() {
        QTest::addColumn<Isa>("isa");
        QTest::addColumn<GgmlType>("type");
        for (Isa isa : supportedIsas())
            for (GgmlType type : kMatrixTypes)
                if (kernelTable(isa).weights[static_cast<int>(type)].activation != ActivationFormat::F32)
                    QTest::addRow("%s/%s", isaName(isa).data(), typeName(type).data()) << isa << type;
    }

    void refinedInputsComeCloserToTheReference() {
        QFETCH(Isa, isa);
        QFETCH(GgmlType, type);
        std::mt19937 rng(uint32_t(static_cast<int>(type)) * 17 + uint32_t(static_cast<int>(isa)));
        constexpr int64_t k = 512;
        constexpr int rows = 11;  // two whole tiles and a partial one
        const std::vector<uint8_t> weights = randomWeightRows(rng, type, rows, k);
        Tensor w;
        w.name = "test.weight";
        w.shape = {uint64_t(k), uint64_t(rows)};
        w.type = type;
        w.byteSize = weights.size();
        w.data = weights.data();
        std::vector<float> dequantized(size_t(rows) * k);
        for (int r = 0; r < rows; ++r)
            dequantizeRow(type, weights.data() + size_t(r) * (weights.size() / rows), &dequantized[size_t(r) * k], k);

        ThreadPool pool(2);
        FastMatmul fast(kernelTable(isa));
        // 17 inputs: whole prompt tiles and a partial one, where the set has them.
        const bool promptTiles = kernelTable(isa).weights[static_cast<int>(type)].promptDot;
        for (int batch : {1, 2, 3, 5, 9, 17}) {
            if (batch == 17 && !promptTiles) continue;
            std::vector<float> x = randomFloats(rng, size_t(batch) * k, 1.0f);
            x[7] = 40.0f;  // an outlier, as real activations have, coarsens its block's steps
            std::vector<float> reference(size_t(batch) * rows), byte(reference.size()), refined(reference.size());
            std::vector<double> magnitude(reference.size());
            for (int b = 0; b < batch; ++b)
                for (int r = 0; r < rows; ++r)
                    for (int64_t i = 0; i < k; ++i)
                        magnitude[size_t(b) * rows + size_t(r)] +=
                            std::fabs(double(dequantized[size_t(r) * k + size_t(i)]) * x[size_t(b) * k + size_t(i)]);
            matmul(pool, w, x.data(), batch, reference.data());
            fast.multiply(pool, w, x.data(), batch, byte.data(), InputPrecision::Byte);
            fast.multiply(pool, w, x.data(), batch, refined.data(), InputPrecision::Refined);
            const double byteError = relativeError(byte, reference, magnitude),
                         refinedError = relativeError(refined, reference, magnitude);
            const QString facts = QString("batch %1: 8-bit inputs off by %2, refined by %3")
                                      .arg(batch)
                                      .arg(byteError, 0, 'g', 3)
                                      .arg(refinedError, 0, 'g', 3);
            // The remainder's steps are 1/256 of the 8-bit row's; 50 leaves room for how
            // unevenly the error lands. The grid i-quants, whose few large weights make
            // 8-bit inputs cost them the most (IQ2_XS up to 0.014), come closest to 1e-4.
            QVERIFY2(refinedError < byteError / 50 && refinedError < 2e-4, qPrintable(facts));
        }
    }

    // A group of matrices with the same inputs gives what each matrix's own
    // product gives, to the bit (the same kernels on the same inputs), in
    // one pass or, for kernels taking other inputs, one by one.
    void groupsEqualTheirMembersProducts_data() {
        QTest::addColumn<Isa>("isa");
        for (Isa isa : supportedIsas()) QTest::addRow("%s", isaName(isa).data()) << isa;
    }

    void groupsEqualTheirMembersProducts() {
        QFETCH(Isa, isa);
        std::mt19937 rng(5);
        constexpr int64_t k = 512;
        struct Matrix {
            std::vector<uint8_t> bytes;
            Tensor tensor;
        };
        // Q4_0 with two row counts (whole and partial tiles), then Q4_K: its
        // kernels take Q8_K inputs, so a group with it goes one by one.
        const std::pair<GgmlType, int> shapes[] = {{GgmlType::Q4_0, 11}, {GgmlType::Q4_0, 8}, {GgmlType::Q4_0, 5},
                                                   {GgmlType::Q4_K, 6}};
        std::vector<Matrix> matrices(std::size(shapes));
        for (size_t m = 0; m < matrices.size(); ++m) {
            Matrix& matrix = matrices[m];
            matrix.bytes = randomWeightRows(rng, shapes[m].first, shapes[m].second, k);
            matrix.tensor.name = "test.weight";
            matrix.tensor.shape = {uint64_t(k), uint64_t(shapes[m].second)};
            matrix.tensor.type = shapes[m].first;
            matrix.tensor.byteSize = matrix.bytes.size();
            matrix.tensor.data = matrix.bytes.data();
        }
        ThreadPool pool(2);
        FastMatmul fast(kernelTable(isa));
        for (size_t members : {size_t(3), size_t(4)})
            for (int batch : {1, 6}) {
                const std::vector<float> x = randomFloats(rng, size_t(batch) * k, 1.0f);
                std::vector<std::vector<float>> alone(members), grouped(members);
                std::vector<const Tensor*> ws;
                std::vector<float*> ys;
                for (size_t m = 0; m < members; ++m) {
                    const size_t size = size_t(batch) * matrices[m].tensor.rows();
                    alone[m].resize(size);
                    grouped[m].assign(size, -1.0f);
                    fast.multiply(pool, matrices[m].tensor, x.data(), batch, alone[m].data(), InputPrecision::Refined);
                    ws.push_back(&matrices[m].tensor);
                    ys.push_back(grouped[m].data());
                }
                fast.multiplyGroup(pool, ws, x.data(), batch, ys, InputPrecision::Refined);
                for (size_t m = 0; m < members; ++m)
                    QVERIFY2(grouped[m] == alone[m], qPrintable(QString("group of %1, batch %2: matrix %3 differs")
                                                                    .arg(members)
                                                                    .arg(batch)
                                                                    .arg(m)));
            }
    }

    // A type a kernel set has no kernel for (here: one taken out of the
    // set) gets the exact product, bit for bit, in either input precision.
    void typesWithoutKernelsFallBackToTheExactProduct() {
        for (Isa isa : supportedIsas())
            for (GgmlType type : {GgmlType::IQ3_XXS, GgmlType::Q4_K, GgmlType::MXFP4, GgmlType::IQ1_S, GgmlType::IQ1_M}) {
                KernelTable withoutIt = kernelTable(isa);
                withoutIt.weights[static_cast<int>(type)] = {};
                std::mt19937 rng(static_cast<uint32_t>(type));
                constexpr int64_t k = 512;
                constexpr int rows = 6, batch = 3;
                std::vector<uint8_t> weights;
                for (int r = 0; r < rows; ++r) {
                    const std::vector<uint8_t> row = randomRow(type, k, rng);
                    weights.insert(weights.end(), row.begin(), row.end());
                }
                Tensor w;
                w.name = "test.weight";
                w.shape = {uint64_t(k), uint64_t(rows)};
                w.type = type;
                w.byteSize = weights.size();
                w.data = weights.data();
                const std::vector<float> x = randomFloats(rng, size_t(batch) * k, 1.0f);
                ThreadPool pool(2);
                FastMatmul fast(withoutIt);
                std::vector<float> exact(size_t(batch) * rows), byte(exact.size()), refined(exact.size());
                matmul(pool, w, x.data(), batch, exact.data());
                fast.multiply(pool, w, x.data(), batch, byte.data(), InputPrecision::Byte);
                fast.multiply(pool, w, x.data(), batch, refined.data(), InputPrecision::Refined);
                QVERIFY(std::any_of(exact.begin(), exact.end(), [](float v) { return v != 0.f; }));
                QCOMPARE(byte, exact);
                QCOMPARE(refined, exact);
            }
    }
};

QTEST_GUILESS_MAIN(TestFastMatmul)
#include "test_fast_matmul.moc"
