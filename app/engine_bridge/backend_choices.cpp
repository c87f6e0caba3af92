#include "engine_bridge/backend_choices.h"

#include <spdlog/spdlog.h>

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <cmath>
#include <utility>

namespace nibble::app {
namespace {

struct FileStamp {
    qint64 size = -1;
    qint64 modified = -1;
};

FileStamp stampOf(const QString& path) {
    const QFileInfo info(path);
    if (!info.exists()) return {};
    return {info.size(), info.lastModified().toMSecsSinceEpoch()};
}

}  // namespace

QString BackendChoice::reason() const {
    const double winner = gpuWon ? gpuTokensPerSecond : cpuTokensPerSecond;
    const double loser = gpuWon ? cpuTokensPerSecond : gpuTokensPerSecond;
    const QString other = gpuWon ? QObject::tr("the CPU") : gpuName;
    const QString speeds = QObject::tr("%1 vs %2 tokens/s").arg(std::lround(winner)).arg(std::lround(loser));
    if (loser <= 0) return QObject::tr("faster than %1 here (%2)").arg(other, speeds);
    return QObject::tr("%1x faster than %2 here (%3)").arg(winner / loser, 0, 'f', 1).arg(other, speeds);
}

BackendChoices::BackendChoices(QString filePath) : filePath_(std::move(filePath)) {
    if (filePath_.isEmpty()) return;
    QFile file(filePath_);
    if (!file.open(QIODevice::ReadOnly)) return;
    // A damaged file only costs the races again.
    const QJsonObject models = QJsonDocument::fromJson(file.read(1'000'000)).object()["models"].toObject();
    for (auto it = models.begin(); it != models.end(); ++it) {
        const QJsonObject o = it.value().toObject();
        Entry entry;
        entry.size = o["size"].toInteger(-1);
        entry.modified = o["modified"].toInteger(-1);
        entry.choice.gpuName = o["gpu"].toString();
        entry.choice.gpuWon = o["gpuWon"].toBool();
        entry.choice.gpuTokensPerSecond = o["gpuTokensPerSecond"].toDouble();
        entry.choice.cpuTokensPerSecond = o["cpuTokensPerSecond"].toDouble();
        if (!entry.choice.gpuName.isEmpty()) entries_.insert(it.key(), entry);
    }
}

std::optional<BackendChoice> BackendChoices::find(const QString& modelPath) const {
    const auto it = entries_.constFind(modelPath);
    if (it == entries_.cend()) return std::nullopt;
    const FileStamp now = stampOf(modelPath);
    if (now.size != it->size || now.modified != it->modified) return std::nullopt;
    return it->choice;
}

void BackendChoices::remember(const QString& modelPath, const BackendChoice& choice) {
    const FileStamp stamp = stampOf(modelPath);
    entries_.insert(modelPath, {stamp.size, stamp.modified, choice});
    save();
}

void BackendChoices::forget(const QString& modelPath) {
    if (entries_.remove(modelPath) > 0) save();
}

void BackendChoices::save() const {
    if (filePath_.isEmpty()) return;
    QJsonObject models;
    for (auto it = entries_.cbegin(); it != entries_.cend(); ++it)
        models.insert(it.key(), QJsonObject{{"size", it->size},
                                            {"modified", it->modified},
                                            {"gpu", it->choice.gpuName},
                                            {"gpuWon", it->choice.gpuWon},
                                            {"gpuTokensPerSecond", it->choice.gpuTokensPerSecond},
                                            {"cpuTokensPerSecond", it->choice.cpuTokensPerSecond}});
    QSaveFile file(filePath_);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(QJsonObject{{"models", models}}).toJson()) < 0 ||
        !file.commit())
        spdlog::warn("could not save {}: {}", filePath_.toStdString(), file.errorString().toStdString());
}

}  // namespace nibble::app
