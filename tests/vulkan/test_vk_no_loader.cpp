// Without the Vulkan loader (libvulkan.so.1) the engine still runs: listing
// devices says in plain words that the loader is missing (Error NoDevice), the
// automatic backend picks the fast CPU path, and a model loads and generates there.
// NIBBLE_VULKAN_LOADER points at a loader file that does not exist before this
// process makes its first Vulkan call, which stands for an uninstalled loader;
// at the end it names the real one, which is then found.
#include "nibble/engine.h"
#include "nibble/error.h"
#include "test_models.h"
#include "vulkan/compute_context.h"

#include <QTest>

#include <cstdlib>
#include <string>

using namespace nibble;

namespace {

const std::string kNoLoader = "The Vulkan loader (libvulkan.so.1) is not installed, so Nibble runs on the CPU.";

}  // namespace

class TestVkNoLoader : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { setenv("NIBBLE_VULKAN_LOADER", "/nonexistent/libvulkan.so.1", 1); }

    void theLoaderIsMissing() { QVERIFY(!vulkanLoaderInstalled()); }

    void listDevicesSaysTheLoaderIsMissing() {
        try {
            listDevices();
            QFAIL("listDevices found devices without the Vulkan loader");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::NoDevice);
            QCOMPARE(std::string(e.what()), kNoLoader);
        }
    }

    void contextSaysTheLoaderIsMissing() {
        try {
            vulkan::ComputeContext context;
            QFAIL("a compute context was created without the Vulkan loader");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::NoDevice);
            QCOMPARE(std::string(e.what()), kNoLoader);
        }
    }

    void askingForVulkanSaysTheLoaderIsMissing() {
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        LoadOptions options;
        options.backend = BackendKind::Vulkan;
        try {
            Model::open(stories, options);
            QFAIL("a model loaded on Vulkan without the Vulkan loader");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::NoDevice);
            QCOMPARE(std::string(e.what()), kNoLoader);
        }
    }

    void automaticBackendRunsOnTheCpu() {
        NIBBLE_REQUIRE_MODEL(stories, test::kStories);
        const auto model = Model::open(stories, {});
        // The fast path, not the exact reference.
        QVERIFY2(model->backendDescription().starts_with("CPU, ") &&
                     model->backendDescription().find(" kernels, ") != std::string::npos,
                 model->backendDescription().c_str());
        Session session(model);
        GenerateOptions options;
        options.sampling = SamplingParams::greedy();
        options.maxTokens = 8;
        std::string streamed;
        const GenerationResult result = session.complete("Once upon a time", options, [&](std::string_view piece) {
            streamed += piece;
            return true;
        });
        QVERIFY(result.generatedTokens > 0);
        QVERIFY(!result.text.empty());
        QCOMPARE(streamed, result.text);
    }

    void anInstalledLoaderIsFoundOnTheNextTry() {
        // Failed attempts are not remembered: once the loader is there (here:
        // named by its usual name), the next call finds it.
        setenv("NIBBLE_VULKAN_LOADER", "libvulkan.so.1", 1);
        QVERIFY(vulkanLoaderInstalled());
        try {
            QVERIFY(!listDevices().empty());
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()) != kNoLoader, e.what());
            QSKIP("this machine has the Vulkan loader but no driver");
        }
    }
};

QTEST_GUILESS_MAIN(TestVkNoLoader)
#include "test_vk_no_loader.moc"
