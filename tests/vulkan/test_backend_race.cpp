// raceBackends on lavapipe, counted as a GPU for the test (the only Vulkan
// device here): the race happens only when Auto would take a GPU, both
// backends are timed, the faster one's model and session come back ready to
// use and give the same tokens as a plain load, and a cancel stops it.
#include "nibble/backend_race.h"
#include "nibble/engine.h"
#include "test_models.h"

#include <QTest>

#include <cstdlib>
#include <string>

using namespace nibble;

namespace {

std::string greedyText(Session& session) {
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    options.maxTokens = 24;
    return session.complete("Once upon a time", options, {}).text;
}

LoadOptions smallContext() {
    LoadOptions options;
    options.contextLength = 128;
    return options;
}

}  // namespace

class TestBackendRace : public QObject {
    Q_OBJECT

private slots:
    void init() { qunsetenv("NIBBLE_TEST_SOFTWARE_GPU"); }
    void cleanup() { qunsetenv("NIBBLE_TEST_SOFTWARE_GPU"); }

    void noGpuMeansNoRace() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        const BackendRace race = raceBackends(path, smallContext());
        QVERIFY(race.gpuName.empty());
        QCOMPARE(race.gpuTokensPerSecond, 0.0);
        QVERIFY(!race.gpuWon());
        QVERIFY(race.model && race.session);
        QVERIFY(race.model->vulkanDevice().empty());
    }

    void bothRaceAndTheFasterIsKept() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        qputenv("NIBBLE_TEST_SOFTWARE_GPU", "1");
        float lastProgress = 0;
        bool progressWentBack = false;
        LoadOptions options = smallContext();
        options.progress = [&](float fraction) {
            progressWentBack |= fraction < lastProgress;
            lastProgress = fraction;
            return true;
        };
        BackendRace race = raceBackends(path, options);
        QVERIFY2(race.gpuName.find("llvmpipe") != std::string::npos, race.gpuName.c_str());
        QVERIFY(race.gpuTokensPerSecond > 0);
        QVERIFY(race.cpuTokensPerSecond > 0);
        qInfo("decode: %s %.1f tokens/s, CPU %.1f tokens/s", race.gpuName.c_str(), race.gpuTokensPerSecond,
              race.cpuTokensPerSecond);
        // The model and session returned are the winner's.
        QCOMPARE(race.model->vulkanDevice().empty(), !race.gpuWon());
        QVERIFY(!progressWentBack);
        QCOMPARE(lastProgress, 1.0f);

        // The session starts empty and answers as a plain load on the CPU does.
        QCOMPARE(race.session->contextUsed(), 0);
        LoadOptions cpu = smallContext();
        cpu.backend = BackendKind::Cpu;
        Session plain(Model::open(path, cpu));
        QCOMPARE(greedyText(*race.session), greedyText(plain));
    }

    void cancelStopsTheRace() {
        NIBBLE_REQUIRE_MODEL(path, test::kStories);
        qputenv("NIBBLE_TEST_SOFTWARE_GPU", "1");
        LoadOptions options = smallContext();
        // Past the GPU's load, while the CPU one loads.
        options.progress = [](float fraction) { return fraction < 0.75f; };
        try {
            raceBackends(path, options);
            QFAIL("the race was not cancelled");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Cancelled);
        }
    }
};

QTEST_GUILESS_MAIN(TestBackendRace)
#include "test_backend_race.moc"
