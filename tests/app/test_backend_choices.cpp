// Auto in the app: the first load of a model races the GPU against the CPU
// and says why the winner runs it; the outcome is kept in the data folder, so
// later loads (this run or the next) take it without racing, until the model
// file changes. lavapipe stands in for a GPU (NIBBLE_TEST_SOFTWARE_GPU=1).
#include "engine_bridge/backend_choices.h"
#include "engine_bridge/engine_host.h"
#include "test_models.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace nibble;

namespace {

constexpr int kLoadTimeoutMs = 120'000;

app::EngineTarget autoTarget(const QString& path) {
    app::EngineTarget target;
    target.variantId = 1;
    target.filePath = path;
    target.label = "stories260K";
    target.backend = BackendKind::Auto;
    target.contextLength = 128;
    return target;
}

// Loads target on a fresh EngineHost keeping its choices in choicesFile; the backend it reports.
QString loadedBackend(const QString& choicesFile, const app::EngineTarget& target) {
    app::EngineHost engine(choicesFile);
    QSignalSpy failed(&engine, &app::EngineHost::loadFailed);
    engine.load(target);
    if (!QTest::qWaitFor([&] { return engine.residentVariantId() == target.variantId || !failed.isEmpty(); },
                         kLoadTimeoutMs))
        return "(timed out)";
    return failed.isEmpty() ? engine.backend() : "(failed) " + failed.first().at(0).toString();
}

}  // namespace

class TestBackendChoices : public QObject {
    Q_OBJECT

private slots:
    void init() { qputenv("NIBBLE_TEST_SOFTWARE_GPU", "1"); }
    void cleanup() { qunsetenv("NIBBLE_TEST_SOFTWARE_GPU"); }

    void reasonSaysWhoWonAndByHowMuch() {
        const app::BackendChoice cpu{"llvmpipe (LLVM 15.0.6, 256 bits)", false, 20.0, 50.0};
        QCOMPARE(cpu.reason(), QString("2.5x faster than llvmpipe (LLVM 15.0.6, 256 bits) here (50 vs 20 tokens/s)"));
        const app::BackendChoice gpu{"Radeon 780M", true, 90.0, 30.0};
        QCOMPARE(gpu.reason(), QString("3.0x faster than the CPU here (90 vs 30 tokens/s)"));
    }

    void keptAcrossRunsUntilTheFileChanges() {
        QTemporaryDir dir;
        const QString model = dir.filePath("model.gguf");
        QFile file(model);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("first");
        file.close();
        const QString store = dir.filePath("choices.json");
        {
            app::BackendChoices choices(store);
            QVERIFY(!choices.find(model));
            choices.remember(model, {"llvmpipe", false, 20.0, 50.0});
        }
        app::BackendChoices reopened(store);
        const auto found = reopened.find(model);
        QVERIFY(found);
        QCOMPARE(found->gpuName, QString("llvmpipe"));
        QCOMPARE(found->cpuTokensPerSecond, 50.0);
        QVERIFY(!found->gpuWon);
        // Another file at the same path (a download replaced it) races again.
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Append));
        file.write(" and more");
        file.close();
        QVERIFY(!reopened.find(model));
        // A damaged store is only races lost.
        QFile damaged(store);
        QVERIFY(damaged.open(QIODevice::WriteOnly));
        damaged.write("{ not json");
        damaged.close();
        QVERIFY(!app::BackendChoices(store).find(model));
    }

    void firstLoadRacesLaterLoadsRemember() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        QTemporaryDir dir;
        const QString store = dir.filePath("backend-choices.json");
        const QString model = QString::fromStdString(path.string());

        // Raced: the winner says why, with both speeds, and the outcome is kept.
        const QString first = loadedBackend(store, autoTarget(model));
        QVERIFY2(first.contains(" here ("), qPrintable(first));
        QVERIFY2(first.contains("tokens/s"), qPrintable(first));
        const auto raced = app::BackendChoices(store).find(model);
        QVERIFY(raced);
        QVERIFY2(raced->gpuName.contains("llvmpipe"), qPrintable(raced->gpuName));
        QVERIFY(raced->gpuTokensPerSecond > 0 && raced->cpuTokensPerSecond > 0);
        QVERIFY2(first.startsWith(raced->gpuWon ? "Vulkan" : "CPU"), qPrintable(first));

        // Later loads take what is kept instead of racing: figures no race
        // would measure show that they were read, and the backend follows them.
        app::BackendChoices planted(store);
        planted.remember(model, {raced->gpuName, false, 7.0, 21.0});
        const QString onCpu = loadedBackend(store, autoTarget(model));
        QVERIFY2(onCpu.startsWith("CPU") && onCpu.endsWith("3.0x faster than " + raced->gpuName + " here (21 vs 7 tokens/s)"),
                 qPrintable(onCpu));
        planted.remember(model, {raced->gpuName, true, 40.0, 10.0});
        const QString onGpu = loadedBackend(store, autoTarget(model));
        QVERIFY2(onGpu.startsWith("Vulkan") && onGpu.endsWith("4.0x faster than the CPU here (40 vs 10 tokens/s)"),
                 qPrintable(onGpu));

        // Without a GPU Auto can take there is no race and nothing to say.
        qunsetenv("NIBBLE_TEST_SOFTWARE_GPU");
        QTemporaryDir other;
        const QString plain = loadedBackend(other.filePath("backend-choices.json"), autoTarget(model));
        QVERIFY2(plain.startsWith("CPU") && !plain.contains(" here ("), qPrintable(plain));
        QVERIFY(!QFile::exists(other.filePath("backend-choices.json")));
    }
};

QTEST_GUILESS_MAIN(TestBackendChoices)
#include "test_backend_choices.moc"
