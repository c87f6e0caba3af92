#include "test_models.h"

#include <QDir>
#include <QFileInfo>
#include <QtGlobal>

namespace nibble::test {
namespace {

std::filesystem::path sharedDir() { return std::filesystem::path(NIBBLE_SOURCE_DIR) / ".." / "shared"; }

std::filesystem::path cacheDir() {
    QString env = qEnvironmentVariable("NIBBLE_MODEL_CACHE");
    if (!env.isEmpty()) return env.toStdString();
    return (QDir::homePath() + "/.cache/nibble/test-models").toStdString();
}

}  // namespace

std::optional<std::filesystem::path> findModel(const QString& fileName) {
    std::vector<std::filesystem::path> dirs;
    QString env = qEnvironmentVariable("NIBBLE_TEST_MODELS");
    if (!env.isEmpty()) dirs.emplace_back(env.toStdString());
    dirs.push_back(cacheDir());
    dirs.push_back(sharedDir() / "models");
    for (const auto& dir : dirs) {
        auto candidate = dir / fileName.toStdString();
        std::error_code ec;
        if (std::filesystem::is_regular_file(candidate, ec)) return std::filesystem::canonical(candidate, ec);
    }
    return std::nullopt;
}

std::filesystem::path goldenDir() {
    QString env = qEnvironmentVariable("NIBBLE_GOLDEN");
    if (!env.isEmpty()) return env.toStdString();
    return sharedDir() / "golden";
}

QString missingModelMessage(const QString& fileName) {
    return QStringLiteral("test model %1 not found in $NIBBLE_TEST_MODELS, %2 or ../shared/models; "
                          "run scripts/fetch-test-models")
        .arg(fileName, QString::fromStdString(cacheDir().string()));
}

bool requireModels() { return qEnvironmentVariable("CI") == QLatin1String("true"); }

}  // namespace nibble::test
