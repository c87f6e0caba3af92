#include "shell/load_marker.h"

#include <QSettings>

namespace nibble::app {
namespace {

const QString kGroup = QStringLiteral("loading");

}  // namespace

void LoadMarker::begin(const EngineTarget& target) const {
    QSettings settings(settingsFile_, QSettings::IniFormat);
    settings.beginGroup(kGroup);
    settings.setValue("variantId", target.variantId);
    settings.setValue("file", target.filePath);
    settings.setValue("label", target.label);
    settings.endGroup();
    // On disk before the engine touches the model: a crash may follow at once.
    settings.sync();
}

void LoadMarker::end() const {
    QSettings settings(settingsFile_, QSettings::IniFormat);
    settings.remove(kGroup);
    settings.sync();
}

std::optional<LoadMarker::Interrupted> LoadMarker::interrupted() const {
    QSettings settings(settingsFile_, QSettings::IniFormat);
    settings.beginGroup(kGroup);
    if (!settings.contains("file")) return std::nullopt;
    return Interrupted{settings.value("variantId").toLongLong(), settings.value("file").toString(),
                       settings.value("label").toString()};
}

}  // namespace nibble::app
