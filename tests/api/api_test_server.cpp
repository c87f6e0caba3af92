// Starts Nibble's API server on a free loopback port with the real SmolLM2
// model, prints "KEY <api key>" and "PORT <n>" once it listens, and serves until its standard
// input closes (or after ten minutes, so a forgotten one cannot linger).
// Exits 77 when the model is missing, which CTest reports as skipped.
#include "api_test_app.h"
#include "test_models.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    const auto model = nibble::test::findModel(nibble::test::kSmolLM2);
    if (!model) {
        std::fprintf(stderr, "%s\n", qPrintable(nibble::test::missingModelMessage(nibble::test::kSmolLM2)));
        return nibble::test::requireModels() ? 1 : 77;
    }
    QTemporaryDir dataDir;
    nibble::test::ApiTestApp nibble(dataDir.path(), QString::fromStdString(model->string()));
    if (!nibble.server.listen(0)) {
        std::fprintf(stderr, "%s\n", qPrintable(nibble.server.error()));
        return 1;
    }
    std::printf("KEY %s\nPORT %u\n", qPrintable(nibble.settings.apiKey()), unsigned(nibble.server.port()));
    std::fflush(stdout);

    QSocketNotifier input(STDIN_FILENO, QSocketNotifier::Read);
    QObject::connect(&input, &QSocketNotifier::activated, &app, [&] {
        char buffer[256];
        if (::read(STDIN_FILENO, buffer, sizeof buffer) <= 0) app.quit();
    });
    QTimer::singleShot(600'000, &app, &QCoreApplication::quit);
    return app.exec();
}
