#include "shell/file_hash.h"

#include <nibble/error.h>

#include <QCryptographicHash>
#include <QFile>

namespace nibble::app {

std::optional<QString> fileSha256(const QString& path, const std::atomic<bool>& cancel) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(ErrorKind::Io, "cannot read " + path.toStdString() + ": " + file.errorString().toStdString());
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray buffer(4 << 20, Qt::Uninitialized);
    for (;;) {
        if (cancel.load()) return std::nullopt;
        const qint64 n = file.read(buffer.data(), buffer.size());
        if (n < 0) throw Error(ErrorKind::Io, "cannot read " + path.toStdString() + ": " + file.errorString().toStdString());
        if (n == 0) break;
        hash.addData(QByteArrayView(buffer.data(), n));
    }
    return QString::fromLatin1(hash.result().toHex());
}

}  // namespace nibble::app
