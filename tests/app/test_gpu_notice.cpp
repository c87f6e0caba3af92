// GpuNotice: the "Nibble runs on the CPU" notice is said once per situation,
// remembered in the settings file across starts, and said again when the
// situation changes (a GPU that was there is gone, the Vulkan loader is
// installed or removed).
#include "shell/app_settings.h"
#include "shell/gpu_notice.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace nibble;

namespace {

DeviceInfo device(const char* name, const char* type) {
    DeviceInfo d;
    d.name = name;
    d.type = type;
    return d;
}

const QString kNoDriver = "No Vulkan GPU driver was found on this computer";
const QString kNoLoader = "The Vulkan loader (libvulkan.so.1) is not installed, so Nibble runs on the CPU.";

}  // namespace

class TestGpuNotice : public QObject {
    Q_OBJECT

private slots:
    void init();
    void noDriverIsToldOnceAcrossStarts();
    void softwareDriverIsNamed();
    void gpuGoneIsToldAgain();
    void dismissHidesTheNotice();
    void choosingTheCpuNeedsNoNotice();
    void missingLoaderIsItsOwnSituation();
    void loaderIsAskedAboutOnlyWithoutDevices();

private:
    // A fresh start of the app on the same settings file, on a computer with
    // or without the Vulkan loader.
    std::unique_ptr<app::GpuNotice> start(bool loaderInstalled = true);

    QTemporaryDir dir_;
    std::unique_ptr<app::AppSettings> settings_;
};

void TestGpuNotice::init() {
    QVERIFY(dir_.isValid());
    settings_.reset();
}

std::unique_ptr<app::GpuNotice> TestGpuNotice::start(bool loaderInstalled) {
    settings_.reset();  // the previous start's settings are written out first
    // A settings file of its own for each test function.
    const QString file = dir_.filePath(QString::fromLatin1(QTest::currentTestFunction()) + ".ini");
    settings_ = std::make_unique<app::AppSettings>(file, dir_.path());
    return std::make_unique<app::GpuNotice>(*settings_, [loaderInstalled] { return loaderInstalled; });
}

void TestGpuNotice::noDriverIsToldOnceAcrossStarts() {
    auto first = start();
    QSignalSpy changed(first.get(), &app::GpuNotice::changed);
    first->update({}, kNoDriver);
    QCOMPARE(first->text(), QString("No GPU with Vulkan was found, so Nibble runs on the CPU. Replies will be slower."));
    QCOMPARE(first->cpuReason(), QString("no Vulkan GPU found"));
    QCOMPARE(changed.size(), 1);
    // The settings page asks for the devices again: still one notice, still shown.
    first->update({}, kNoDriver);
    QVERIFY(!first->text().isEmpty());

    auto second = start();
    second->update({}, kNoDriver);
    QCOMPARE(second->text(), QString());
    QCOMPARE(second->cpuReason(), QString("no Vulkan GPU found"));
}

void TestGpuNotice::softwareDriverIsNamed() {
    auto notice = start();
    notice->update({device("llvmpipe (LLVM 15.0.6, 256 bits)", "CPU")}, {});
    QVERIFY2(notice->text().contains("llvmpipe (LLVM 15.0.6, 256 bits)"), qPrintable(notice->text()));
    QVERIFY(notice->text().contains("runs on the CPU"));
    QCOMPARE(notice->cpuReason(), QString("no Vulkan GPU, only llvmpipe"));
    // A driver that was not there before is a new situation.
    auto next = start();
    next->update({}, kNoDriver);
    QVERIFY(next->text().startsWith("No GPU with Vulkan was found, so"));
}

void TestGpuNotice::gpuGoneIsToldAgain() {
    auto noGpu = start();
    noGpu->update({}, kNoDriver);
    QVERIFY(!noGpu->text().isEmpty());

    auto withGpu = start();
    withGpu->update({device("llvmpipe (LLVM 15.0.6, 256 bits)", "CPU"), device("AMD Radeon RX 7600", "discrete GPU")}, {});
    QCOMPARE(withGpu->text(), QString());
    QCOMPARE(withGpu->cpuReason(), QString());

    auto gpuGone = start();
    gpuGone->update({}, kNoDriver);
    QVERIFY(!gpuGone->text().isEmpty());
}

void TestGpuNotice::dismissHidesTheNotice() {
    auto notice = start();
    notice->update({}, kNoDriver);
    QSignalSpy changed(notice.get(), &app::GpuNotice::changed);
    notice->dismiss();
    QCOMPARE(notice->text(), QString());
    QCOMPARE(changed.size(), 1);
    QCOMPARE(notice->cpuReason(), QString("no Vulkan GPU found"));
}

void TestGpuNotice::choosingTheCpuNeedsNoNotice() {
    auto notice = start();
    settings_->setDevice("cpu");
    notice->update({}, kNoDriver);
    QCOMPARE(notice->text(), QString());
    QCOMPARE(notice->cpuReason(), QString("no Vulkan GPU found"));
}

void TestGpuNotice::missingLoaderIsItsOwnSituation() {
    auto first = start(false);
    first->update({}, kNoLoader);
    QCOMPARE(first->text(), kNoLoader + " Replies will be slower.");
    QCOMPARE(first->cpuReason(), QString("Vulkan loader not installed"));

    auto second = start(false);
    second->update({}, kNoLoader);
    QCOMPARE(second->text(), QString());
    QCOMPARE(second->cpuReason(), QString("Vulkan loader not installed"));

    // The loader got installed, but there is still no driver: that is news.
    auto installed = start(true);
    installed->update({}, kNoDriver);
    QCOMPARE(installed->text(), QString("No GPU with Vulkan was found, so Nibble runs on the CPU. Replies will be slower."));
    QCOMPARE(installed->cpuReason(), QString("no Vulkan GPU found"));

    // And removed again: told again.
    auto removed = start(false);
    removed->update({}, kNoLoader);
    QCOMPARE(removed->text(), kNoLoader + " Replies will be slower.");
}

void TestGpuNotice::loaderIsAskedAboutOnlyWithoutDevices() {
    settings_.reset();
    settings_ = std::make_unique<app::AppSettings>(dir_.filePath("asked.ini"), dir_.path());
    int asked = 0;
    app::GpuNotice notice(*settings_, [&asked] {
        ++asked;
        return true;
    });
    notice.update({device("llvmpipe (LLVM 15.0.6, 256 bits)", "CPU")}, {});
    notice.update({device("AMD Radeon RX 7600", "discrete GPU")}, {});
    QCOMPARE(asked, 0);
    notice.update({}, kNoDriver);
    QCOMPARE(asked, 1);
}

QTEST_GUILESS_MAIN(TestGpuNotice)
#include "test_gpu_notice.moc"
