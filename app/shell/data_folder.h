#pragma once
// Where Nibble keeps its database, logs and settings: the platform's app-data
// folder, or NIBBLE_DATA_DIR when set (tests, portable installs).
#include <QString>

namespace nibble::app {

class DataFolder {
public:
    // Resolves the folder and creates it (and its logs/ subfolder) for the
    // user's account alone (mode 0700), with settings.ini private (0600);
    // throws nibble::Error(Io) when it cannot be created.
    static DataFolder resolve();
    explicit DataFolder(QString root);

    const QString& root() const { return root_; }
    QString databasePath() const;
    QString logFile() const;
    QString settingsFile() const;
    // Where Nibble writes the model files it makes (derived variants).
    QString modelsFolder() const;

private:
    QString root_;
};

}  // namespace nibble::app
