#include "storage/private_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace nibble::storage {
namespace {

constexpr QFileDevice::Permissions kOwnerBits =
    QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner;

// Takes away what the group and others may do, and grants the owner nothing
// new: a file the user made read-only stays read-only.
bool keepToOwner(const QString& path) {
    return QFile::setPermissions(path, QFile::permissions(path) & kOwnerBits);
}

}  // namespace

bool makePrivateFile(const QString& path) {
    QFile file(path);
    // Created with the owner's permissions from the start, so there is no
    // moment in which another account could open it.
    if (!file.exists() && file.open(QIODevice::WriteOnly | QIODevice::NewOnly,
                                    QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return true;
    return file.exists() && keepToOwner(path);
}

bool makePrivateFolder(const QString& path) {
    if (!QFileInfo(path).isDir()) {
        const QString absolute = QFileInfo(path).absoluteFilePath();
        if (!QDir().mkpath(QFileInfo(absolute).absolutePath())) return false;
        if (!QDir().mkdir(absolute, kOwnerBits) && !QFileInfo(absolute).isDir()) return false;
    }
    return keepToOwner(path);
}

}  // namespace nibble::storage
