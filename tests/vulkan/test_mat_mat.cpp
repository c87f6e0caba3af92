// The tiled matrix x matrix kernels against the CPU reference: random weights
// quantized with quantizeRow (and rows of the real models), decoded with
// dequantizeRow and multiplied in double precision. Shapes that leave tiles
// partly empty (N not a multiple of the tile's rows, batches of 1, 3, 17 and
// 64 against tiles of 32 or 64 columns, K an odd number of blocks), every
// kernel layout, unaligned offsets. Every test also checks that the
// validation layer reported nothing.
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "product_reference.h"
#include "test_models.h"
#include "vulkan/compute_context.h"
#include "vulkan/mat_mat.h"
#include "vulkan/mat_vec.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;
using namespace nibble::test;

Q_DECLARE_METATYPE(nibble::GgmlType)

class TestMatMat : public QObject {
    Q_OBJECT

    std::unique_ptr<ComputeContext> context;
    uint64_t messagesBefore = 0;

    double gpuError(const ProductOperands& op, std::span<const uint8_t> weights, const MatMatConfig& config = {}) {
        return productError(*context, op, weights, op.batch + 1,
                            [&](CommandRecorder& recorder, const ProductOperands& o, const Buffer& w, const Buffer& x,
                                const Buffer& y) {
                                recordMatMat(*context, recorder, o.type, w, o.wOffset, o.K, o.N, x, o.xOffset, y,
                                             o.yOffset, o.batch, config);
                            });
    }

    double randomError(const ProductOperands& op, const MatMatConfig& config = {}) {
        return gpuError(op, randomRows(op.type, op.K, op.N), config);
    }

    static void addOperandColumns() {
        QTest::addColumn<GgmlType>("type");
        QTest::addColumn<uint32_t>("K");
        QTest::addColumn<uint32_t>("N");
        QTest::addColumn<uint32_t>("batch");
    }

private slots:
    void initTestCase() {
        context = std::make_unique<ComputeContext>(ContextOptions{.device = "llvmpipe"});
        if (qEnvironmentVariableIntValue("NIBBLE_VK_VALIDATION") == 1)
            QVERIFY2(context->validationEnabled(), "NIBBLE_VK_VALIDATION=1 but the layer is off");
    }
    void init() { messagesBefore = context->validationMessageCount(); }
    void cleanup() { QCOMPARE(context->validationMessageCount(), messagesBefore); }
    void cleanupTestCase() { context.reset(); }

    void supportsWhatMatVecSupports() {
        for (GgmlType type : kAllProductTypes) QVERIFY2(matMatSupports(type), typeName(type).data());
        QVERIFY(!matMatSupports(GgmlType::Q8_K));
        QVERIFY(!useMatMat(GgmlType::Q8_K, 64));
        QVERIFY(!useMatMat(GgmlType::Q4_K, 1));
        QVERIFY(useMatMat(GgmlType::Q4_K, 64));
    }

    // The default tiles are 64 rows by 32 columns, so N = 100 and 130 end in
    // a partial tile of rows, batches 1, 3 and 17 fill part of one tile of
    // columns and 64 two exactly.
    void matchesCpu_data() {
        addOperandColumns();
        for (GgmlType type : kAllProductTypes) {
            // K an odd number of the format's blocks.
            const uint32_t block = hasSuperBlocks(type) ? 256 : 32;
            std::vector<ProductOperands> cases = {{type, 3 * block, 100, 1}, {type, 7 * block, 70, 17},
                                                  {type, block, 130, 64}, {type, 5 * block, 1, 3}};
            if (isFloatType(type)) {
                // Rows of any length: K not a multiple of the 32 a step takes,
                // rows that start off a word boundary.
                cases.push_back({type, 33, 70, 17});
                cases.push_back({type, 7, 5, 3});
            }
            for (const ProductOperands& c : cases)
                QTest::newRow(typeLabel(type) + " K=" + QByteArray::number(c.K) + " N=" + QByteArray::number(c.N) +
                              " batch=" + QByteArray::number(c.batch))
                    << c.type << c.K << c.N << c.batch;
        }
    }
    void matchesCpu() {
        QFETCH(GgmlType, type);
        QFETCH(uint32_t, K);
        QFETCH(uint32_t, N);
        QFETCH(uint32_t, batch);
        const double error = randomError({type, K, N, batch});
        QVERIFY2(error < kMaxRelativeError, qPrintable(QString("relative error %1").arg(error)));
    }

    // Other tiles and register blocks, including workgroups smaller than the
    // tile's rows (several rows decoded per invocation). The layout does not
    // depend on the format, so two types stand for the rest (each layout is a
    // pipeline to compile, slow on lavapipe).
    void everyKernelLayoutMatchesCpu_data() {
        QTest::addColumn<uint32_t>("BM");
        QTest::addColumn<uint32_t>("BN");
        QTest::addColumn<uint32_t>("TM");
        QTest::addColumn<uint32_t>("TN");
        QTest::newRow("16 x 8, 4 x 4") << 16u << 8u << 4u << 4u;
        QTest::newRow("128 x 16, 8 x 4") << 128u << 16u << 8u << 4u;
        QTest::newRow("32 x 64, 4 x 8") << 32u << 64u << 4u << 8u;
    }
    void everyKernelLayoutMatchesCpu() {
        QFETCH(uint32_t, BM);
        QFETCH(uint32_t, BN);
        QFETCH(uint32_t, TM);
        QFETCH(uint32_t, TN);
        for (const GgmlType type : {GgmlType::Q5_1, GgmlType::Q6_K}) {
            const uint32_t K = hasSuperBlocks(type) ? 768 : 416;
            const double error = randomError({type, K, 150, 21}, {BM, BN, TM, TN});
            QVERIFY2(error < kMaxRelativeError,
                     qPrintable(QString("%1: relative error %2").arg(typeLabel(type)).arg(error)));
        }
    }

    // Offsets that are not a multiple of the storage-buffer alignment (nor, for
    // the weights, of 4) reach the right bytes.
    void unalignedOffsetsMatchCpu_data() {
        QTest::addColumn<GgmlType>("type");
        for (GgmlType type : {GgmlType::F16, GgmlType::Q5_0, GgmlType::Q4_K}) QTest::newRow(typeLabel(type)) << type;
    }
    void unalignedOffsetsMatchCpu() {
        QFETCH(GgmlType, type);
        const uint32_t K = hasSuperBlocks(type) ? 512 : 160;
        const double error = randomError({type, K, 19, 10, 34, 12, 20});
        QVERIFY2(error < kMaxRelativeError, qPrintable(QString("relative error %1").arg(error)));
    }

    // The transformer switches kernels at kMatMatMinBatch: both must give the
    // same outputs to float rounding, so the switch changes no result.
    void agreesWithMatVec() {
        const uint32_t K = 512, N = 90, batch = kMatMatMinBatch + 3;
        const std::vector<uint8_t> bytes = randomRows(GgmlType::Q4_K, K, N);
        const std::vector<float> x = normalFloats(size_t(batch) * K, 4);
        const Buffer w = bufferWith(*context, std::as_bytes(std::span(bytes)), 0, "the weights");
        const Buffer xb = bufferWith(*context, std::as_bytes(std::span(x)), 0, "x");
        const Buffer tiled = context->createBuffer(size_t(batch) * N * 4, MemoryKind::DeviceLocal, "y tiled");
        const Buffer byColumns = context->createBuffer(size_t(batch) * N * 4, MemoryKind::DeviceLocal, "y by columns");

        CommandRecorder recorder(*context);
        recordMatMat(*context, recorder, GgmlType::Q4_K, w, 0, K, N, xb, 0, tiled, 0, batch);
        // One column at a time: its pipeline compiles much faster on lavapipe
        // than the batched one, which test_mat_vec checks against this.
        for (uint32_t b = 0; b < batch; ++b)
            recordMatVec(*context, recorder, GgmlType::Q4_K, w, 0, K, N, xb, b * K * 4, byColumns, b * N * 4, 1);
        context->submit(recorder.finish());

        std::vector<float> a(size_t(batch) * N), b(a.size());
        context->download(tiled, std::as_writable_bytes(std::span(a)));
        context->download(byColumns, std::as_writable_bytes(std::span(b)));
        for (size_t i = 0; i < a.size(); ++i)
            QVERIFY2(std::abs(a[i] - b[i]) <= 1e-4f * (1 + std::abs(b[i])),
                     qPrintable(QString("output %1: %2 tiled, %3 by columns").arg(i).arg(a[i]).arg(b[i])));
    }

    void rejectsWhatItCannotDo() {
        const Buffer w = context->createBuffer(1024, MemoryKind::DeviceLocal, "the weights");
        const Buffer x = context->createBuffer(1024, MemoryKind::DeviceLocal, "x");
        const Buffer y = context->createBuffer(1024, MemoryKind::DeviceLocal, "y");
        CommandRecorder recorder(*context);
        auto kindOf = [&](GgmlType type, uint32_t K, uint32_t N, VkDeviceSize xOffset, const MatMatConfig& config) {
            try {
                recordMatMat(*context, recorder, type, w, 0, K, N, x, xOffset, y, 0, 2, config);
            } catch (const Error& e) {
                return e.kind();
            }
            return ErrorKind::Cancelled;  // nothing thrown
        };
        QCOMPARE(kindOf(GgmlType::Q8_K, 256, 1, 0, {}), ErrorKind::Unsupported);
        QCOMPARE(kindOf(GgmlType::Q4_K, 128, 1, 0, {}), ErrorKind::InvalidArgument);
        QCOMPARE(kindOf(GgmlType::Q4_0, 100, 1, 0, {}), ErrorKind::InvalidArgument);
        QCOMPARE(kindOf(GgmlType::Q8_0, 256, 200, 0, {}), ErrorKind::Internal);  // 200 rows do not fit in w
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 2, {}), ErrorKind::Internal);       // x offset inside a float
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 0, {40, 32, 12, 4}), ErrorKind::InvalidArgument);   // 40 % 12
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 0, {64, 32, 2, 4}), ErrorKind::InvalidArgument);    // 2 % 4
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 0, {1024, 64, 1, 1}), ErrorKind::InvalidArgument);  // too large
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 0, {}), ErrorKind::Cancelled);
        context->submit(recorder.finish());
    }

    // Rows of every quantized type the real models store, read from the files.
    void realModelRowsMatchCpu_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<GgmlType>("type");
        QTest::newRow("SmolLM2 Q4_1") << QString(kSmolLM2) << GgmlType::Q4_1;
        QTest::newRow("SmolLM2 Q8_0") << QString(kSmolLM2) << GgmlType::Q8_0;
        QTest::newRow("Gemma 3 Q5_0") << QString(kGemma3) << GgmlType::Q5_0;
        QTest::newRow("Gemma 3 Q4_K") << QString(kGemma3) << GgmlType::Q4_K;
        QTest::newRow("Gemma 3 Q6_K") << QString(kGemma3) << GgmlType::Q6_K;
    }
    void realModelRowsMatchCpu() {
        QFETCH(QString, model);
        QFETCH(GgmlType, type);
        NIBBLE_REQUIRE_MODEL(path, model);
        const gguf::GgufFile file(path);
        const auto& tensors = file.tensors();
        const auto tensor = std::find_if(tensors.begin(), tensors.end(), [&](const gguf::TensorInfo& t) {
            return t.type == type && t.shape.size() == 2;
        });
        QVERIFY2(tensor != tensors.end(), "the model has no matrix of this type");
        const uint32_t K = uint32_t(tensor->shape[0]);
        const uint32_t N = uint32_t(std::min<uint64_t>(tensor->rows(), 200));
        const size_t rowBytes = tensor->byteSize / tensor->rows();
        const double error = gpuError({type, K, N, 19}, std::span<const uint8_t>(tensor->data, rowBytes * N));
        QVERIFY2(error < kMaxRelativeError,
                 qPrintable(QString("%1: relative error %2")
                                .arg(QString::fromUtf8(tensor->name.data(), qsizetype(tensor->name.size())))
                                .arg(error)));
    }
};

QTEST_GUILESS_MAIN(TestMatMat)
#include "test_mat_mat.moc"
