#pragma once
// Files the user picks (exports, imports): a file dialog's URL to a path,
// whole-file reads with a size limit, and writes that replace the file only
// once everything is on disk, so a full disk or a crash never leaves half an
// export. Failures throw nibble::Error with the reason in words.
#include <QByteArray>
#include <QString>
#include <QUrl>

namespace nibble::app {

QString localFilePath(const QUrl& url);
QByteArray readLocalFile(const QString& path, qint64 maxBytes);
void writeLocalFile(const QString& path, const QByteArray& data);

}  // namespace nibble::app
