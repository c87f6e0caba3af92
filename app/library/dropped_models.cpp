#include "library/dropped_models.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

namespace nibble::app {
namespace {

bool isGgufName(const QString& name) { return name.endsWith(QStringLiteral(".gguf"), Qt::CaseInsensitive); }

// Sorted, so a folder imports in the same order on every file system. The
// name filter ignores case without QDir::CaseSensitive.
QStringList ggufFilesUnder(const QString& folder) {
    QStringList found;
    QDirIterator it(folder, {QStringLiteral("*.gguf")}, QDir::Files | QDir::Readable,
                    QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
    while (it.hasNext()) found.append(QFileInfo(it.next()).absoluteFilePath());
    found.sort();
    return found;
}

}  // namespace

DroppedModels DroppedModels::from(const QList<QUrl>& urls) {
    DroppedModels dropped;
    for (const QUrl& url : urls) {
        const QFileInfo info(url.isLocalFile() ? url.toLocalFile() : url.toString());
        const QString name = info.fileName().isEmpty() ? url.toDisplayString() : info.fileName();
        if (!url.isLocalFile()) {
            dropped.notModels.append(name);
        } else if (info.isDir()) {
            const QStringList files = ggufFilesUnder(info.absoluteFilePath());
            if (files.isEmpty()) dropped.emptyFolders.append(name);
            dropped.modelFiles.append(files);
        } else if (isGgufName(info.fileName())) {
            dropped.modelFiles.append(info.absoluteFilePath());
        } else {
            dropped.notModels.append(name);
        }
    }
    dropped.modelFiles.removeDuplicates();
    return dropped;
}

}  // namespace nibble::app
