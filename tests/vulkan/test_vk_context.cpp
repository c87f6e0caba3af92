// The Vulkan foundation on the machine's devices (lavapipe in CI): device
// listing and choice, buffers and their limits, pipelines, recorded dispatches
// with barriers, and the first kernels against a plain CPU computation. Every
// test also checks that the validation layer reported nothing.
#include "embedded_shaders.h"
#include "nibble/engine.h"
#include "nibble/error.h"
#include "random_floats.h"
#include "vulkan/compute_context.h"

#include <QTest>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <span>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;
using nibble::test::randomFloats;

namespace {

struct AddParams {
    uint32_t n;
};

struct RmsNormParams {
    uint32_t cols;
    float eps;
};

constexpr uint32_t kAddGroupSize = 256;

double maxRelativeError(std::span<const float> actual, std::span<const double> expected) {
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        if (expected[i] == 0) continue;
        worst = std::max(worst, std::abs(actual[i] - expected[i]) / std::abs(expected[i]));
    }
    return worst;
}

std::vector<double> cpuRmsNorm(std::span<const float> x, std::span<const float> w, size_t cols, float eps) {
    std::vector<double> y(x.size());
    for (size_t row = 0; row < x.size() / cols; ++row) {
        double sum = 0;
        for (size_t i = 0; i < cols; ++i) sum += double(x[row * cols + i]) * x[row * cols + i];
        const double scale = 1.0 / std::sqrt(sum / double(cols) + eps);
        for (size_t i = 0; i < cols; ++i) y[row * cols + i] = x[row * cols + i] * scale * w[i];
    }
    return y;
}

PhysicalDevice fakeDevice(uint32_t index, std::string name, VkPhysicalDeviceType type, uint64_t memory,
                          uint32_t apiVersion = VK_API_VERSION_1_3) {
    PhysicalDevice d;
    d.index = index;
    d.name = std::move(name);
    d.type = type;
    d.apiVersion = apiVersion;
    d.computeQueueFamily = 0;
    d.heaps.push_back({memory, true});
    return d;
}

}  // namespace

class TestVkContext : public QObject {
    Q_OBJECT

    std::unique_ptr<ComputeContext> context;
    uint64_t messagesBefore = 0;

    Buffer upload(std::span<const float> values, const char* name) {
        Buffer b = context->createBuffer(std::max<size_t>(values.size_bytes(), 4), MemoryKind::DeviceLocal, name);
        context->upload(b, std::as_bytes(values));
        return b;
    }
    std::vector<float> download(const Buffer& b, size_t count) {
        std::vector<float> values(count);
        context->download(b, std::as_writable_bytes(std::span(values)));
        return values;
    }
    const Pipeline& addPipeline() {
        return context->pipeline({"add", 3, sizeof(AddParams), {kAddGroupSize}});
    }
    const Pipeline& rmsNormPipeline(uint32_t groupSize = 128) {
        return context->pipeline({"rms_norm", 3, sizeof(RmsNormParams), {groupSize}});
    }

private slots:
    void initTestCase() {
        context = std::make_unique<ComputeContext>(ContextOptions{.device = "llvmpipe"});
        if (validationRequested()) QVERIFY2(context->validationEnabled(), "NIBBLE_VK_VALIDATION=1 but the layer is off");
    }

    // Each test must add no validation message (counted per test, so one
    // failure does not fail every later test).
    void init() { messagesBefore = context->validationMessageCount(); }
    void cleanup() { QCOMPARE(context->validationMessageCount(), messagesBefore); }

    void cleanupTestCase() {
        context.reset();
    }

    void listsLavapipeWithItsFeatures() {
        const std::vector<DeviceInfo> devices = listDevices();
        QVERIFY(!devices.empty());
        QCOMPARE(std::count_if(devices.begin(), devices.end(), [](const DeviceInfo& d) { return d.selected; }), 1);
        auto lavapipe = std::find_if(devices.begin(), devices.end(),
                                     [](const DeviceInfo& d) { return d.name.find("llvmpipe") != std::string::npos; });
        QVERIFY2(lavapipe != devices.end(), "Mesa's lavapipe (llvmpipe) is not among the Vulkan devices");
        QCOMPARE(lavapipe->type, std::string("CPU"));
        QVERIFY(lavapipe->driver.find("llvmpipe") != std::string::npos);
        QVERIFY(lavapipe->apiVersion.starts_with("1.3"));
        QVERIFY(lavapipe->fp16);
        QVERIFY(lavapipe->int8);
        QVERIFY(lavapipe->integerDotProduct);
        QVERIFY(lavapipe->subgroupSize >= 4 && std::has_single_bit(lavapipe->subgroupSize));
        QVERIFY(lavapipe->maxStorageBufferRange >= (64u << 20));
        QVERIFY(lavapipe->maxMemoryAllocationSize >= lavapipe->maxStorageBufferRange);
        QVERIFY(lavapipe->deviceLocalBytes > 0);
        const auto selected = std::find_if(devices.begin(), devices.end(), [](const DeviceInfo& d) { return d.selected; });
        QVERIFY(selected->selectionReason.starts_with("Chosen because"));

        const std::vector<DeviceInfo> named = listDevices("LLVMPIPE");
        const auto chosen = std::find_if(named.begin(), named.end(), [](const DeviceInfo& d) { return d.selected; });
        QVERIFY(chosen != named.end());
        QCOMPARE(chosen->name, lavapipe->name);
        QVERIFY2(chosen->selectionReason.find("you chose it") != std::string::npos, chosen->selectionReason.c_str());

        const std::vector<DeviceInfo> unknown = listDevices("no such gpu");
        const auto fallback = std::find_if(unknown.begin(), unknown.end(), [](const DeviceInfo& d) { return d.selected; });
        QVERIFY(fallback != unknown.end());
        QVERIFY2(fallback->selectionReason.find("There is no Vulkan device \"no such gpu\"") != std::string::npos,
                 fallback->selectionReason.c_str());
    }

    void contextReadsDeviceLimits() {
        const PhysicalDevice& d = context->physicalDevice();
        QVERIFY(d.name.find("llvmpipe") != std::string::npos);
        QVERIFY(d.maxComputeWorkGroupInvocations >= 128);
        QVERIFY(d.maxComputeWorkGroupSize[0] >= 128);
        QVERIFY(d.maxComputeSharedMemorySize >= 16384);
        QVERIFY(d.maxComputeWorkGroupCount[0] >= 65535);
        QVERIFY(d.computeQueueFamily != UINT32_MAX);
        QVERIFY(context->features().storage16 && context->features().float16);
        QVERIFY(context->features().storage8 && context->features().int8);
        QVERIFY(!context->selectionReason().empty());
    }

    void choosesByKindNameAndIndex() {
        const std::vector<PhysicalDevice> devices = {
            fakeDevice(0, "llvmpipe (LLVM 15)", VK_PHYSICAL_DEVICE_TYPE_CPU, 2ull << 30),
            fakeDevice(1, "Intel UHD 620", VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU, 4ull << 30),
            fakeDevice(2, "Radeon RX 6600", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 8ull << 30),
            fakeDevice(3, "Radeon RX 7900", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 24ull << 30),
            fakeDevice(4, "Old GPU", VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU, 64ull << 30, VK_API_VERSION_1_1),
        };
        const DeviceChoice best = choosePhysicalDevice(devices, "");
        QCOMPARE(best.position, size_t(3));  // discrete, most memory; the 1.1 device cannot be used
        QVERIFY2(best.reason.find("discrete GPU") != std::string::npos, best.reason.c_str());
        QVERIFY2(best.reason.find("most memory") != std::string::npos, best.reason.c_str());

        QCOMPARE(choosePhysicalDevice(devices, "1").position, size_t(1));
        QCOMPARE(choosePhysicalDevice(devices, "intel").position, size_t(1));
        QCOMPARE(choosePhysicalDevice(devices, "rx 66").position, size_t(2));
        const DeviceChoice cpu = choosePhysicalDevice(devices, "LLVMpipe");
        QCOMPARE(cpu.position, size_t(0));
        QVERIFY2(cpu.reason.find("software renderer") != std::string::npos, cpu.reason.c_str());

        const std::vector<PhysicalDevice> onlyCpuAndIntegrated(devices.begin(), devices.begin() + 2);
        QCOMPARE(choosePhysicalDevice(onlyCpuAndIntegrated, "").position, size_t(1));
        const std::vector<PhysicalDevice> single(devices.begin(), devices.begin() + 1);
        QVERIFY(choosePhysicalDevice(single, "").reason.find("only Vulkan device") != std::string::npos);

        try {
            choosePhysicalDevice(devices, "geforce");
            QFAIL("an unknown device name was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
            QVERIFY2(std::string(e.what()).find("2: Radeon RX 6600") != std::string::npos, e.what());
        }
        try {
            choosePhysicalDevice(devices, "old gpu");
            QFAIL("a Vulkan 1.1 device was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::NoDevice);
            QVERIFY2(std::string(e.what()).find("needs 1.2") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, choosePhysicalDevice(std::span(devices).subspan(4), ""));
    }

    void embedsValidSpirv() {
        const auto names = shaders::names();
        QVERIFY(std::is_sorted(names.begin(), names.end()));
        for (std::string_view name : {"add", "rms_norm"}) {
            QVERIFY(std::find(names.begin(), names.end(), name) != names.end());
            const std::span<const uint32_t> code = shaders::find(name);
            QVERIFY(code.size() > 5);
            QCOMPARE(code[0], 0x07230203u);  // the SPIR-V magic number
        }
        QVERIFY(shaders::find("no_such_shader").empty());
    }

    void add_data() {
        QTest::addColumn<int>("n");
        QTest::newRow("1") << 1;
        QTest::newRow("1000") << 1000;
        QTest::newRow("4099") << 4099;
    }

    void add() {
        QFETCH(int, n);
        const std::vector<float> a = randomFloats(n, 1), b = randomFloats(n, 2);
        const Buffer ba = upload(a, "a"), bb = upload(b, "b");
        const Buffer bc = context->createBuffer(n * sizeof(float), MemoryKind::DeviceLocal, "c");

        CommandRecorder rec(*context);
        rec.dispatch(addPipeline(), {reads(ba), reads(bb), writes(bc)}, {groupsFor(n, kAddGroupSize)},
                     AddParams{uint32_t(n)});
        context->submit(rec.finish());

        std::vector<double> expected(n);
        for (int i = 0; i < n; ++i) expected[i] = a[i] + b[i];
        QVERIFY(maxRelativeError(download(bc, n), expected) < 1e-5);
    }

    void addWithFewerGroupsThanElements() {
        // The grid-stride loop covers every element even with one workgroup,
        // and c may be a (the in-place residual add).
        const int n = 4099;
        const std::vector<float> a = randomFloats(n, 3), b = randomFloats(n, 4);
        const Buffer ba = upload(a, "a"), bb = upload(b, "b");
        CommandRecorder rec(*context);
        rec.dispatch(addPipeline(), {reads(ba), reads(bb), writes(ba)}, {1}, AddParams{uint32_t(n)});
        context->submit(rec.finish());
        std::vector<double> expected(n);
        for (int i = 0; i < n; ++i) expected[i] = a[i] + b[i];
        QVERIFY(maxRelativeError(download(ba, n), expected) < 1e-5);
    }

    void rmsNorm_data() {
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("groupSize");
        QTest::addColumn<float>("eps");
        QTest::newRow("576 x 3, 128 wide") << 576 << 3 << 128 << 1e-5f;
        QTest::newRow("640 x 5, 256 wide") << 640 << 5 << 256 << 1e-6f;
        QTest::newRow("640 x 1, 64 wide") << 640 << 1 << 64 << 1e-6f;
        QTest::newRow("7 x 2, 64 wide") << 7 << 2 << 64 << 1e-5f;
    }

    void rmsNorm() {
        QFETCH(int, cols);
        QFETCH(int, rows);
        QFETCH(int, groupSize);
        QFETCH(float, eps);
        const std::vector<float> x = randomFloats(size_t(cols) * rows, 5, -3.0f, 3.0f);
        const std::vector<float> w = randomFloats(cols, 6, 0.5f, 1.5f);
        const Buffer bx = upload(x, "x"), bw = upload(w, "w");
        const Buffer by = context->createBuffer(x.size() * sizeof(float), MemoryKind::DeviceLocal, "y");

        CommandRecorder rec(*context);
        rec.dispatch(rmsNormPipeline(groupSize), {reads(bx), reads(bw), writes(by)}, {uint32_t(rows)},
                     RmsNormParams{uint32_t(cols), eps});
        context->submit(rec.finish());

        const double error = maxRelativeError(download(by, x.size()), cpuRmsNorm(x, w, cols, eps));
        QVERIFY2(error < 1e-5, QByteArray::number(error));
    }

    void dependentDispatchesReplay() {
        // One recording, two dependent kernels (the recorder puts a barrier
        // between them), submitted three times: x <- x + rmsnorm(x) * w.
        const int cols = 576, rows = 2;
        std::vector<float> x = randomFloats(size_t(cols) * rows, 7);
        const std::vector<float> w = randomFloats(cols, 8, 0.5f, 1.5f);
        const Buffer bx = upload(x, "x"), bw = upload(w, "w");
        const Buffer by = context->createBuffer(x.size() * sizeof(float), MemoryKind::DeviceLocal, "y");

        CommandRecorder rec(*context, 3);
        rec.timestamp("start");
        rec.dispatch(rmsNormPipeline(), {reads(bx), reads(bw), writes(by)}, {uint32_t(rows)},
                     RmsNormParams{uint32_t(cols), 1e-5f});
        rec.timestamp("rms_norm");
        rec.dispatch(addPipeline(), {reads(bx), reads(by), writes(bx)}, {groupsFor(x.size(), kAddGroupSize)},
                     AddParams{uint32_t(x.size())});
        rec.timestamp("add");
        const Recording recording = rec.finish();
        QVERIFY(recording.timestamps().empty());  // not run yet

        std::vector<double> expected(x.begin(), x.end());
        for (int step = 0; step < 3; ++step) {
            context->submit(recording);
            const std::vector<float> current(expected.begin(), expected.end());
            const std::vector<double> y = cpuRmsNorm(current, w, cols, 1e-5f);
            for (size_t i = 0; i < expected.size(); ++i) expected[i] = float(current[i] + float(y[i]));
        }
        const double error = maxRelativeError(download(bx, x.size()), expected);
        QVERIFY2(error < 1e-5, QByteArray::number(error));

        const auto times = recording.timestamps();
        QCOMPARE(times.size(), size_t(3));
        QCOMPARE(times[0].first, std::string("start"));
        QCOMPARE(times[2].first, std::string("add"));
        QCOMPARE(times[0].second, 0.0);
        QVERIFY(times[1].second >= 0 && times[2].second >= times[1].second);
    }

    void copiesAndFills() {
        const std::vector<float> values = randomFloats(1000, 9);
        const Buffer source = upload(values, "source");
        const Buffer staging = context->createBuffer(2000 * sizeof(float), MemoryKind::HostVisible, "readback");
        QVERIFY(!staging.mapped().empty());
        CommandRecorder rec(*context);
        rec.fill(staging, std::bit_cast<uint32_t>(-2.5f));
        rec.copy(source, 0, staging, 1000 * sizeof(float), values.size() * sizeof(float));
        context->submit(rec.finish());
        const std::vector<float> result = download(staging, 2000);
        QVERIFY(std::all_of(result.begin(), result.begin() + 1000, [](float v) { return v == -2.5f; }));
        QVERIFY(std::equal(values.begin(), values.end(), result.begin() + 1000));
    }

    void uploadsAndDownloadsThroughStaging() {
        // As on a discrete GPU: DeviceLocal buffers are not mapped, so data
        // moves through a staging buffer, here in many small pieces.
        ComputeContext discrete({.device = "llvmpipe", .mapDeviceLocal = false, .stagingBytes = 4096});
        const std::vector<float> values = randomFloats(10000, 10);
        const Buffer b = discrete.createBuffer(12000 * sizeof(float), MemoryKind::DeviceLocal, "weights");
        QVERIFY(b.mapped().empty());
        discrete.upload(b, std::as_bytes(std::span(values)), 1000 * sizeof(float));
        std::vector<float> back(10000);
        discrete.download(b, std::as_writable_bytes(std::span(back)), 1000 * sizeof(float));
        QVERIFY(back == values);
        std::vector<float> head(1001);
        discrete.download(b, std::as_writable_bytes(std::span(head)), 0);
        QCOMPARE(head[1000], values[0]);
        QVERIFY_THROWS_EXCEPTION(Error, discrete.upload(b, std::as_bytes(std::span(values)), 2001 * sizeof(float)));
        QCOMPARE(discrete.validationMessageCount(), uint64_t(0));
    }

    void pipelinesAreCachedByShaderAndConstants() {
        const Pipeline& first = rmsNormPipeline(64);
        QCOMPARE(&rmsNormPipeline(64), &first);
        QVERIFY(&rmsNormPipeline(32) != &first);
        try {
            context->pipeline({"rms_norm", 2, sizeof(RmsNormParams), {64}});
            QFAIL("a second layout for the same pipeline was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Internal);
        }
        const uint32_t tooWide = context->physicalDevice().maxComputeWorkGroupInvocations * 2;
        QVERIFY_THROWS_EXCEPTION(Error, context->pipeline({"rms_norm", 3, sizeof(RmsNormParams), {tooWide}}));
        try {
            context->pipeline({"no_such_shader", 1, 0, {}});
            QFAIL("an unknown shader was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Internal);
            QVERIFY(std::string(e.what()).find("no_such_shader") != std::string::npos);
        }
    }

    void dispatchMismatchIsCaughtBeforeVulkan() {
        const Buffer b = context->createBuffer(64, MemoryKind::DeviceLocal, "b");
        CommandRecorder rec(*context);
        QVERIFY_THROWS_EXCEPTION(Error, rec.dispatch(addPipeline(), {reads(b), writes(b)}, {1}, AddParams{16}));
        QVERIFY_THROWS_EXCEPTION(Error, rec.dispatch(addPipeline(), {reads(b), reads(b), writes(b)}, {1}));
        QVERIFY_THROWS_EXCEPTION(Error, rec.dispatch(addPipeline(), {reads(b, 4), reads(b), writes(b)}, {1}, AddParams{1}));
        QVERIFY_THROWS_EXCEPTION(Error, rec.dispatch(addPipeline(), {reads(b), reads(b), writes(b)}, {0}, AddParams{1}));
    }

    void bufferOverTheAllocationLimitIsAClearError() {
        const PhysicalDevice& d = context->physicalDevice();
        try {
            context->createBuffer(d.maxMemoryAllocationSize + 1, MemoryKind::DeviceLocal, "the test tensor");
            QFAIL("a buffer over maxMemoryAllocationSize was created");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::OutOfMemory);
            const std::string message = e.what();
            QVERIFY2(message.find("the test tensor") != std::string::npos, e.what());
            QVERIFY2(message.find(formatBytes(d.maxMemoryAllocationSize)) != std::string::npos, e.what());
        }
    }

    void bindingOverTheStorageRangeIsAClearError() {
        const PhysicalDevice& d = context->physicalDevice();
        if (d.maxStorageBufferRange > (256u << 20) || d.maxStorageBufferRange >= d.maxMemoryAllocationSize)
            QSKIP("this device's storage range is too large to exceed in a test");
        const Buffer big = context->createBuffer(d.maxStorageBufferRange + 256, MemoryKind::DeviceLocal, "big weights");
        const Buffer small = context->createBuffer(1024, MemoryKind::DeviceLocal, "small");
        CommandRecorder rec(*context);
        try {
            rec.dispatch(addPipeline(), {reads(big), reads(small), writes(small)}, {1}, AddParams{256});
            QFAIL("binding more than maxStorageBufferRange was accepted");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::OutOfMemory);
            QVERIFY2(std::string(e.what()).find(formatBytes(d.maxStorageBufferRange)) != std::string::npos, e.what());
        }
        // A range within the limit is fine.
        rec.dispatch(addPipeline(), {reads(big, 0, 1024), reads(small), writes(small)}, {1}, AddParams{256});
    }

    void validationLayerReportsAWrongDispatch() {
        if (!validationRequested()) QSKIP("needs NIBBLE_VK_VALIDATION=1");
        // A context of its own, so the shared one stays at zero messages. The
        // dispatch binds a descriptor set whose buffers were never written and
        // is never submitted: the layer reports it while recording, and the
        // driver never runs it.
        ComputeContext wrong({.device = "llvmpipe"});
        QCOMPARE(wrong.validationMessageCount(), uint64_t(0));
        const Pipeline& pipeline = wrong.pipeline({"add", 3, sizeof(AddParams), {kAddGroupSize}});
        DescriptorPool pool(wrong.device(), 1, 3);
        const VkDescriptorSet set = pool.allocate(pipeline.setLayout()).value();
        CommandRecorder rec(wrong);
        const AddParams params{1};
        vkCmdBindPipeline(rec.commandBuffer(), VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.handle());
        vkCmdBindDescriptorSets(rec.commandBuffer(), VK_PIPELINE_BIND_POINT_COMPUTE, pipeline.layout(), 0, 1, &set, 0,
                                nullptr);
        vkCmdPushConstants(rec.commandBuffer(), pipeline.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof params, &params);
        vkCmdDispatch(rec.commandBuffer(), 1, 1, 1);
        QVERIFY(wrong.validationMessageCount() > 0);
    }
};

QTEST_GUILESS_MAIN(TestVkContext)
#include "test_vk_context.moc"
