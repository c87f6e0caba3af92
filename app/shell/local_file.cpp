#include "shell/local_file.h"

#include <nibble/error.h>

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace nibble::app {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("LocalFile", text); }

[[noreturn]] void fail(const QString& message) { throw Error(ErrorKind::Io, message.toStdString()); }

}  // namespace

QString localFilePath(const QUrl& url) {
    if (url.isLocalFile()) return url.toLocalFile();
    // A plain path, as a test or a command line gives it.
    if (url.scheme().isEmpty() && !url.path().isEmpty()) return url.path();
    throw Error(ErrorKind::InvalidArgument, tr("Nibble can only use files on this computer.").toStdString());
}

QByteArray readLocalFile(const QString& path, qint64 maxBytes) {
    const QString name = QFileInfo(path).fileName();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) fail(tr("Nibble could not read “%1”: %2.").arg(name, file.errorString()));
    if (file.size() > maxBytes)
        fail(tr("“%1” is too large to be a conversation (over %2 MB).").arg(name).arg(maxBytes / 1'000'000));
    const QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError) fail(tr("Nibble could not read “%1”: %2.").arg(name, file.errorString()));
    return data;
}

void writeLocalFile(const QString& path, const QByteArray& data) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit())
        fail(tr("Nibble could not save “%1”: %2.").arg(QFileInfo(path).fileName(), file.errorString()));
}

}  // namespace nibble::app
