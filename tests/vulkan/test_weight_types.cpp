// The table of weight types (tensor/ggml_type.h) against what is built from
// it: every type it marks vulkan has a shader module in each product kernel
// family and every such module belongs to one of them (the CMake list
// NIBBLE_VULKAN_WEIGHT_TYPES agrees with the table); the CPU decoders and the
// quantizers step through rows by the table's block sizes (buffers of exactly
// the table's bytes, so AddressSanitizer sees any read or write past them);
// and the general.file_type names. Needs no Vulkan device.
#include "embedded_shaders.h"
#include "nibble/error.h"
#include "nibble/file_type.h"
#include "tensor/dequantize.h"
#include "tensor/ggml_type.h"
#include "tensor/quantize.h"
#include "vulkan/mat_mat.h"
#include "vulkan/mat_vec.h"

#include <QTest>

#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using namespace nibble;

namespace {

ErrorKind errorOf(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.kind();
    }
    return ErrorKind::Internal;
}

std::vector<uint8_t> randomBytes(size_t count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> bytes(count);
    for (uint8_t& b : bytes) b = uint8_t(rng());
    return bytes;
}

// The type whose shader name is `shader`, or nullptr.
const TypeTraits* typeWithShader(std::string_view shader) {
    for (const TypeTraits& t : kGgmlTypes)
        if (t.shader == shader) return &t;
    return nullptr;
}

}  // namespace

class TestWeightTypes : public QObject {
    Q_OBJECT

private slots:
    void lookupsFindEveryRow() {
        for (const TypeTraits& t : kGgmlTypes) {
            QCOMPARE(typeTraits(static_cast<uint32_t>(t.type))->name, t.name);
            QCOMPARE(typeNamed(t.name), std::optional(t.type));
            QCOMPARE(typeName(t.type), t.name);
        }
        // 4 and 5 were Q4_2 and Q4_3, removed from the format before GGUF.
        QVERIFY(!typeTraits(4u));
        QVERIFY(!typeTraits(1000u));
        QVERIFY(!typeNamed("Q4_2"));
        QCOMPARE(typeName(static_cast<GgmlType>(4)), std::string_view("unknown"));
    }

    void vulkanTypesHaveEveryKernelModule() {
        int vulkanTypes = 0;
        for (const TypeTraits& t : kGgmlTypes) {
            QCOMPARE(vulkan::matVecSupports(t.type), t.vulkan);
            QCOMPARE(vulkan::matMatSupports(t.type), t.vulkan);
            if (!t.vulkan) continue;
            ++vulkanTypes;
            for (const std::string& module : {vulkan::matVecShaderName(t.type, true),
                                              vulkan::matVecShaderName(t.type, false),
                                              vulkan::matMatShaderName(t.type)})
                QVERIFY2(!shaders::find(module).empty(),
                         qPrintable(QString("%1 is marked vulkan but has no module %2")
                                        .arg(QString::fromUtf8(t.name.data(), qsizetype(t.name.size())),
                                             QString::fromStdString(module))));
        }
        QVERIFY(vulkanTypes > 0);
    }

    void everyProductModuleBelongsToAVulkanType() {
        int modules = 0;
        for (std::string_view name : shaders::names()) {
            std::string_view shader = name;
            if (shader.starts_with("mul_mat_vec_")) {
                shader.remove_prefix(std::string_view("mul_mat_vec_").size());
                if (shader.ends_with("_shmem")) shader.remove_suffix(std::string_view("_shmem").size());
            } else if (shader.starts_with("mul_mm_")) {
                shader.remove_prefix(std::string_view("mul_mm_").size());
            } else {
                continue;
            }
            ++modules;
            const TypeTraits* type = typeWithShader(shader);
            QVERIFY2(type && type->vulkan, qPrintable(QString("module %1 is built for a type the table does not mark vulkan")
                                                          .arg(QString::fromUtf8(name.data(), qsizetype(name.size())))));
        }
        QVERIFY(modules > 0);
    }

    // Two blocks decode as each one alone: the decoder steps by the table's
    // block bytes, and reads nothing past them.
    void decodersStepByTheTableBlocks() {
        for (const TypeTraits& t : kGgmlTypes) {
            const QByteArray name(t.name.data(), qsizetype(t.name.size()));
            if (!t.cpu) {
                const std::vector<uint8_t> bytes(t.blockBytes);
                std::vector<float> out(t.blockSize);
                QVERIFY2(errorOf([&] { dequantizeRow(t.type, bytes.data(), out.data(), t.blockSize); }) ==
                             ErrorKind::Unsupported,
                         name);
                continue;
            }
            const std::vector<uint8_t> both = randomBytes(2 * t.blockBytes, uint32_t(t.type));
            const std::vector<uint8_t> second(both.begin() + t.blockBytes, both.end());
            std::vector<float> fromBoth(2 * t.blockSize), fromSecond(t.blockSize);
            dequantizeRow(t.type, both.data(), fromBoth.data(), 2 * t.blockSize);
            dequantizeRow(t.type, second.data(), fromSecond.data(), t.blockSize);
            QVERIFY2(std::memcmp(fromBoth.data() + t.blockSize, fromSecond.data(), t.blockSize * sizeof(float)) == 0,
                     name);
            // Random bytes may decode to NaN, whose products compare unequal: only the call is checked.
            dotRow(t.type, second.data(), fromSecond.data(), t.blockSize);
            if (t.blockSize > 1)
                QVERIFY2(errorOf([&] { dequantizeRow(t.type, both.data(), fromBoth.data(), t.blockSize + 1); }) ==
                             ErrorKind::InvalidArgument,
                         name);
        }
    }

    void quantizersWriteTheTableBlocks() {
        std::vector<float> weights(512);
        std::mt19937 rng(3);
        std::normal_distribution<float> normal;
        for (float& w : weights) w = normal(rng);
        for (const TypeTraits& t : kGgmlTypes) {
            const QByteArray name(t.name.data(), qsizetype(t.name.size()));
            QCOMPARE(canQuantize(t.type), t.quantize);
            QCOMPARE(quantizedRowBytes(t.type, 2 * t.blockSize), size_t(2 * t.blockBytes));
            if (!t.quantize) {
                std::vector<uint8_t> bytes(t.blockBytes);
                QVERIFY2(errorOf([&] { quantizeRow(t.type, weights.data(), bytes.data(), t.blockSize); }) ==
                             ErrorKind::Unsupported,
                         name);
                continue;
            }
            // The first block of a two-block row is the one-block row's block.
            std::vector<uint8_t> both(2 * t.blockBytes), first(t.blockBytes);
            QCOMPARE(quantizeRow(t.type, weights.data(), both.data(), 2 * t.blockSize), both.size());
            QCOMPARE(quantizeRow(t.type, weights.data(), first.data(), t.blockSize), first.size());
            QVERIFY2(std::memcmp(both.data(), first.data(), first.size()) == 0, name);
        }
    }

    void fileTypeNames() {
        QCOMPARE(fileTypeName(0), std::optional<std::string_view>("F32"));
        QCOMPARE(fileTypeName(2), std::optional<std::string_view>("Q4_0"));
        QCOMPARE(fileTypeName(15), std::optional<std::string_view>("Q4_K_M"));
        QCOMPARE(fileTypeName(17), std::optional<std::string_view>("Q5_K_M"));
        QCOMPARE(fileTypeName(25), std::optional<std::string_view>("IQ4_NL"));
        QCOMPARE(fileTypeName(30), std::optional<std::string_view>("IQ4_XS"));
        QCOMPARE(fileTypeName(23), std::optional<std::string_view>("IQ3_XXS"));
        QCOMPARE(fileTypeName(19), std::optional<std::string_view>("IQ2_XXS"));
        QCOMPARE(fileTypeName(26), std::optional<std::string_view>("IQ3_S"));
        QCOMPARE(fileTypeName(20), std::optional<std::string_view>("IQ2_XS"));
        QCOMPARE(fileTypeName(28), std::optional<std::string_view>("IQ2_S"));
        QCOMPARE(fileTypeName(29), std::optional<std::string_view>("IQ2_M"));
        QCOMPARE(fileTypeName(24), std::optional<std::string_view>("IQ1_S"));
        QCOMPARE(fileTypeName(31), std::optional<std::string_view>("IQ1_M"));
        QCOMPARE(fileTypeName(32), std::optional<std::string_view>("BF16"));
        QCOMPARE(fileTypeName(36), std::optional<std::string_view>("TQ1_0"));
        QCOMPARE(fileTypeName(37), std::optional<std::string_view>("TQ2_0"));
        QCOMPARE(fileTypeName(38), std::optional<std::string_view>("MXFP4_MOE"));
        // 4 was Q4_1 with some F16 tensors, which no current tool writes; -1 no tool ever did.
        QVERIFY(!fileTypeName(4));
        QVERIFY(!fileTypeName(-1));
    }
};

QTEST_GUILESS_MAIN(TestWeightTypes)
#include "test_weight_types.moc"
