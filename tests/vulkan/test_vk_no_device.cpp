// Without any Vulkan driver the engine says so in plain words (Error NoDevice)
// instead of crashing. The loader is pointed at a driver file that does not
// exist before this process makes its first Vulkan call.
#include "nibble/engine.h"
#include "nibble/error.h"
#include "vulkan/compute_context.h"

#include <QTest>

#include <cstdlib>
#include <string>

using namespace nibble;

class TestVkNoDevice : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        const char* missing = "/nonexistent/nibble-no-such-driver.json";
        setenv("VK_DRIVER_FILES", missing, 1);
        setenv("VK_ICD_FILENAMES", missing, 1);
    }

    void listDevicesSaysThereIsNoDriver() {
        try {
            listDevices();
            QFAIL("listDevices found a device without any driver");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::NoDevice);
            QVERIFY2(std::string(e.what()).starts_with("No Vulkan GPU driver was found on this computer"), e.what());
            QVERIFY2(std::string(e.what()).find("CPU") != std::string::npos, e.what());
        }
    }

    void contextSaysThereIsNoDriver() {
        try {
            vulkan::ComputeContext context;
            QFAIL("a compute context was created without any driver");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::NoDevice);
            QVERIFY2(std::string(e.what()).starts_with("No Vulkan GPU driver was found on this computer"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestVkNoDevice)
#include "test_vk_no_device.moc"
