#pragma once
// What a drop (or a multi-file pick) holds for the model library: the .gguf
// files in it, folders searched recursively, and what cannot be a model.
#include <QList>
#include <QStringList>
#include <QUrl>

namespace nibble::app {

struct DroppedModels {
    QStringList modelFiles;    // absolute paths of .gguf files, in drop order, each once
    QStringList notModels;     // file names of dropped items that are not .gguf files
    QStringList emptyFolders;  // folder names with no .gguf file anywhere inside

    static DroppedModels from(const QList<QUrl>& urls);
};

}  // namespace nibble::app
