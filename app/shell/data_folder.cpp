#include "shell/data_folder.h"

#include "storage/private_file.h"

#include <nibble/error.h>

#include <QDir>
#include <QStandardPaths>

namespace nibble::app {

DataFolder DataFolder::resolve() {
    QString root = qEnvironmentVariable("NIBBLE_DATA_DIR");
    if (root.isEmpty()) root = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    DataFolder folder(QDir(root).absolutePath());
    // Chats, logs and the API key: for the user's account alone.
    if (!storage::makePrivateFolder(folder.root()) || !storage::makePrivateFolder(folder.root() + "/logs"))
        throw Error(ErrorKind::Io, "Nibble cannot create its data folder " + folder.root().toStdString() +
                                       "; check that the location exists and can be written");
    // settings.ini holds the API key. QSettings keeps the permissions of the
    // file it rewrites, so it stays private once it is created private here.
    storage::makePrivateFile(folder.settingsFile());
    return folder;
}

DataFolder::DataFolder(QString root) : root_(std::move(root)) {}

QString DataFolder::databasePath() const { return root_ + "/nibble.db"; }

QString DataFolder::logFile() const { return root_ + "/logs/nibble.log"; }

QString DataFolder::settingsFile() const { return root_ + "/settings.ini"; }

QString DataFolder::modelsFolder() const { return root_ + "/models"; }

}  // namespace nibble::app
