// The quantized matrix x vector(s) kernels against the CPU reference: random
// weights quantized with quantizeRow (and rows of the real models), decoded
// with dequantizeRow and multiplied in double precision. Awkward shapes,
// batches that take several passes, offsets that are not aligned, both
// reduction paths. Every test also checks that the validation layer reported
// nothing.
#include "gguf/gguf_reader.h"
#include "nibble/error.h"
#include "product_reference.h"
#include "test_models.h"
#include "vulkan/compute_context.h"
#include "vulkan/mat_vec.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;
using namespace nibble::test;

Q_DECLARE_METATYPE(nibble::GgmlType)

namespace {

struct Case {
    GgmlType type;
    uint32_t K;
    uint32_t N;
    uint32_t batch;
};

QByteArray caseName(const Case& c, const char* suffix = "") {
    return typeLabel(c.type) + " K=" + QByteArray::number(c.K) +
           " N=" + QByteArray::number(c.N) + " batch=" + QByteArray::number(c.batch) + suffix;
}

}  // namespace

class TestMatVec : public QObject {
    Q_OBJECT

    std::unique_ptr<ComputeContext> context;
    uint64_t messagesBefore = 0;

    // The largest error of W x over every output against the CPU reference.
    double gpuError(GgmlType type, std::span<const uint8_t> weights, uint32_t K, uint32_t N, uint32_t batch,
                    const MatVecConfig& config = {}, uint32_t seed = 7, VkDeviceSize wOffset = 0,
                    VkDeviceSize xOffset = 0, VkDeviceSize yOffset = 0) {
        const ProductOperands op{type, K, N, batch, wOffset, xOffset, yOffset};
        return productError(*context, op, weights, seed,
                            [&](CommandRecorder& recorder, const ProductOperands& o, const Buffer& w, const Buffer& x,
                                const Buffer& y) {
                                recordMatVec(*context, recorder, o.type, w, o.wOffset, o.K, o.N, x, o.xOffset, y,
                                             o.yOffset, o.batch, config);
                            });
    }

    double randomError(const Case& c, const MatVecConfig& config = {}, VkDeviceSize wOffset = 0,
                       VkDeviceSize xOffset = 0, VkDeviceSize yOffset = 0) {
        return gpuError(c.type, randomRows(c.type, c.K, c.N), c.K, c.N, c.batch, config, c.batch, wOffset, xOffset,
                        yOffset);
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

    void supportsTheTypesModelsUse() {
        for (GgmlType type : kAllProductTypes) QVERIFY2(matVecSupports(type), typeName(type).data());
        QVERIFY(!matVecSupports(GgmlType::Q8_K));
        QVERIFY(!matVecSupports(GgmlType::Q8_1));
    }

    void matchesCpu_data() {
        QTest::addColumn<GgmlType>("type");
        QTest::addColumn<uint32_t>("K");
        QTest::addColumn<uint32_t>("N");
        QTest::addColumn<uint32_t>("batch");
        for (GgmlType type : kAllProductTypes) {
            std::vector<Case> cases;
            if (hasSuperBlocks(type)) {
                cases = {{type, 256, 1, 1}, {type, 256, 7, 3}, {type, 1536, 33, 1}, {type, 512, 1000, 1},
                         {type, 1536, 7, 13}, {type, 256, 33, 8}};
            } else {
                cases = {{type, 32, 1, 1},  {type, 96, 7, 3},      {type, 288, 33, 8},
                         {type, 640, 1000, 1}, {type, 1536, 7, 13}, {type, 256, 33, 1}};
            }
            if (isFloatType(type)) {
                // Rows of any length, so rows that start off a word boundary.
                cases.push_back({type, 33, 7, 3});
                cases.push_back({type, 7, 33, 1});
            }
            for (const Case& c : cases) QTest::newRow(caseName(c).constData()) << c.type << c.K << c.N << c.batch;
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

    // The shared-memory reduction (devices without subgroup arithmetic), other
    // workgroup sizes and rows per workgroup, and N not a multiple of them.
    // The layout does not depend on the format, so one type of each family
    // stands for the rest (each layout is a pipeline to compile, slow on lavapipe).
    void everyKernelLayoutMatchesCpu_data() {
        QTest::addColumn<GgmlType>("type");
        QTest::addColumn<uint32_t>("workgroup");
        QTest::addColumn<uint32_t>("rows");
        QTest::addColumn<bool>("subgroups");
        QTest::addColumn<uint32_t>("batch");
        for (GgmlType type : {GgmlType::F16, GgmlType::Q5_1, GgmlType::Q4_K}) {
            const QByteArray name = typeLabel(type);
            QTest::newRow(name + " shared memory, 32 x 3, batch 9") << type << 32u << 3u << false << 9u;
            QTest::newRow(name + " shared memory, 128 x 1, batch 1") << type << 128u << 1u << false << 1u;
            QTest::newRow(name + " subgroups, 16 x 5, batch 1") << type << 16u << 5u << true << 1u;
            QTest::newRow(name + " subgroups, 128 x 4, batch 9") << type << 128u << 4u << true << 9u;
        }
    }
    void everyKernelLayoutMatchesCpu() {
        QFETCH(GgmlType, type);
        QFETCH(uint32_t, workgroup);
        QFETCH(uint32_t, rows);
        QFETCH(bool, subgroups);
        QFETCH(uint32_t, batch);
        const MatVecConfig config{workgroup, rows, subgroups};
        const uint32_t K = hasSuperBlocks(type) ? 1536 : 1440;
        const double error = randomError({type, K, 37, batch}, config);
        QVERIFY2(error < kMaxRelativeError, qPrintable(QString("relative error %1").arg(error)));
    }

    // Offsets that are not a multiple of the storage-buffer alignment (nor, for
    // the weights, of 4) reach the right bytes; what lies before them is not read.
    void unalignedOffsetsMatchCpu_data() {
        QTest::addColumn<GgmlType>("type");
        for (GgmlType type : kAllProductTypes) QTest::newRow(typeName(type).data()) << type;
    }
    void unalignedOffsetsMatchCpu() {
        QFETCH(GgmlType, type);
        const uint32_t K = hasSuperBlocks(type) ? 512 : 160;
        const double error = randomError({type, K, 19, 10}, {}, 34, 12, 20);
        QVERIFY2(error < kMaxRelativeError, qPrintable(QString("relative error %1").arg(error)));
    }

    // A batch of 13 is a pass of 8 and a pass of 5: the second must not
    // overwrite the first.
    void largeBatchEqualsSingleColumns() {
        const uint32_t K = 256, N = 21, batch = 13;
        const std::vector<uint8_t> bytes = quantizeRows(GgmlType::Q4_K, normalFloats(size_t(N) * K, 3), K, N);
        const std::vector<float> x = normalFloats(size_t(batch) * K, 4);
        const Buffer w = bufferWith(*context, std::as_bytes(std::span(bytes)), 0, "the weights");
        const Buffer xb = bufferWith(*context, std::as_bytes(std::span(x)), 0, "x");
        const Buffer together = context->createBuffer(size_t(batch) * N * 4, MemoryKind::DeviceLocal, "y");
        const Buffer apart = context->createBuffer(size_t(batch) * N * 4, MemoryKind::DeviceLocal, "y by column");

        CommandRecorder recorder(*context);
        recorder.fill(together, 0x7fc00000);  // NaN: every output must be written
        recordMatVec(*context, recorder, GgmlType::Q4_K, w, 0, K, N, xb, 0, together, 0, batch);
        for (uint32_t b = 0; b < batch; ++b)
            recordMatVec(*context, recorder, GgmlType::Q4_K, w, 0, K, N, xb, b * K * 4, apart, b * N * 4, 1);
        const Recording recording = recorder.finish();
        context->submit(recording);
        context->submit(recording);

        std::vector<float> a(size_t(batch) * N), b(a.size());
        context->download(together, std::as_writable_bytes(std::span(a)));
        context->download(apart, std::as_writable_bytes(std::span(b)));
        for (size_t i = 0; i < a.size(); ++i) {
            QVERIFY2(std::isfinite(a[i]), qPrintable(QString("output %1 was never written").arg(i)));
            QVERIFY2(std::abs(a[i] - b[i]) <= 1e-5f * (1 + std::abs(b[i])),
                     qPrintable(QString("output %1: %2 in a batch, %3 alone").arg(i).arg(a[i]).arg(b[i])));
        }
    }

    void rejectsWhatItCannotDo() {
        const Buffer w = context->createBuffer(1024, MemoryKind::DeviceLocal, "the weights");
        const Buffer x = context->createBuffer(1024, MemoryKind::DeviceLocal, "x");
        const Buffer y = context->createBuffer(1024, MemoryKind::DeviceLocal, "y");
        CommandRecorder recorder(*context);
        auto kindOf = [&](GgmlType type, uint32_t K, uint32_t N, VkDeviceSize xOffset) {
            try {
                recordMatVec(*context, recorder, type, w, 0, K, N, x, xOffset, y, 0, 1);
            } catch (const Error& e) {
                return e.kind();
            }
            return ErrorKind::Cancelled;  // nothing thrown
        };
        QCOMPARE(kindOf(GgmlType::Q8_K, 256, 1, 0), ErrorKind::Unsupported);
        QCOMPARE(kindOf(GgmlType::Q4_K, 128, 1, 0), ErrorKind::InvalidArgument);
        QCOMPARE(kindOf(GgmlType::Q4_0, 100, 1, 0), ErrorKind::InvalidArgument);
        QCOMPARE(kindOf(GgmlType::Q8_0, 256, 200, 0), ErrorKind::Internal);  // 200 rows do not fit in w
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 2), ErrorKind::Internal);       // x offset inside a float
        QCOMPARE(kindOf(GgmlType::F32, 8, 1, 0), ErrorKind::Cancelled);
        context->submit(recorder.finish());
    }

    // Rows of every quantized type the real models store, read from the files.
    void realModelRowsMatchCpu_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<GgmlType>("type");
        QTest::newRow("SmolLM2 Q4_1") << QString(test::kSmolLM2) << GgmlType::Q4_1;
        QTest::newRow("SmolLM2 Q8_0") << QString(test::kSmolLM2) << GgmlType::Q8_0;
        QTest::newRow("Gemma 3 Q5_0") << QString(test::kGemma3) << GgmlType::Q5_0;
        QTest::newRow("Gemma 3 Q8_0") << QString(test::kGemma3) << GgmlType::Q8_0;
        QTest::newRow("Gemma 3 Q4_K") << QString(test::kGemma3) << GgmlType::Q4_K;
        QTest::newRow("Gemma 3 Q6_K") << QString(test::kGemma3) << GgmlType::Q6_K;
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
        const uint32_t N = uint32_t(std::min<uint64_t>(tensor->rows(), 300));
        const size_t rowBytes = tensor->byteSize / tensor->rows();
        const std::span<const uint8_t> rows(tensor->data, rowBytes * N);
        for (const uint32_t batch : {1u, 5u}) {
            const double error = gpuError(type, rows, K, N, batch);
            QVERIFY2(error < kMaxRelativeError,
                     qPrintable(QString("%1, batch %2: relative error %3").arg(QString::fromUtf8(tensor->name.data(), qsizetype(tensor->name.size()))).arg(batch).arg(error)));
        }
    }
};

QTEST_GUILESS_MAIN(TestMatVec)
#include "test_mat_vec.moc"
