#include "library/default_model.h"

#include "library/model_registration.h"
#include "storage/model_store.h"

#include <spdlog/spdlog.h>

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace nibble::app {

std::optional<QString> findDefaultModel() {
    QStringList candidates;
    if (QString env = qEnvironmentVariable("NIBBLE_DEFAULT_MODEL"); !env.isEmpty()) candidates << env;
    candidates << QStringLiteral(NIBBLE_INSTALL_PREFIX "/share/nibble/models/") + kDefaultModelFile;
    // A relocated install keeps share/ beside bin/.
    candidates << QCoreApplication::applicationDirPath() + "/../share/nibble/models/" + kDefaultModelFile;
    candidates << QDir::homePath() + "/.cache/nibble/test-models/" + kDefaultModelFile;
    for (const QString& path : candidates)
        if (QFileInfo(path).isFile()) return QFileInfo(path).canonicalFilePath();
    return std::nullopt;
}

std::optional<storage::Variant> registerDefaultModelOnFirstRun(const storage::Database& db) {
    if (!storage::ModelStore(db).list().isEmpty()) return std::nullopt;
    const auto path = findDefaultModel();
    if (!path) {
        spdlog::warn("the bundled model {} was not found; import a model from the model library", kDefaultModelFile);
        return std::nullopt;
    }
    spdlog::info("registering the bundled model {}", path->toStdString());
    return registerModelFile(db, *path, storage::VariantOrigin::Bundled);
}

}  // namespace nibble::app
