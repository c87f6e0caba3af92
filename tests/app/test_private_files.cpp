// The data folder is the user's alone: DataFolder::resolve() creates it (and
// logs/) with mode 0700 and settings.ini (which holds the API key) with 0600,
// the database and its -wal/-shm files are 0600, and an older install's
// files are tightened to that. A file the user made read-only stays so.
#include "shell/app_settings.h"
#include "shell/data_folder.h"
#include "storage/database.h"
#include "storage/private_file.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace nibble;

namespace {

// The permission bits, or -1 when the path does not exist.
int modeOf(const QString& path) {
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0) return -1;
    return int(info.st_mode & 07777);
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

}  // namespace

class TestPrivateFiles : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private slots:
    void init() { QVERIFY(dir_.isValid()); }
    void cleanup() { qunsetenv("NIBBLE_DATA_DIR"); }

    void newDataFolderIsPrivate() {
        const QString root = dir_.filePath("fresh/Nibble");
        qputenv("NIBBLE_DATA_DIR", root.toUtf8());
        const app::DataFolder folder = app::DataFolder::resolve();
        QCOMPARE(folder.root(), root);
        QCOMPARE(modeOf(root), 0700);
        QCOMPARE(modeOf(root + "/logs"), 0700);
        QCOMPARE(modeOf(folder.settingsFile()), 0600);

        QString key;
        {
            app::AppSettings settings(folder.settingsFile(), folder.root());
            settings.regenerateApiKey();
            key = settings.apiKey();
        }
        QVERIFY(!key.isEmpty());
        QVERIFY(readAll(folder.settingsFile()).contains(key.toUtf8()));
        QCOMPARE(modeOf(folder.settingsFile()), 0600);

        // The Hugging Face token lives in the same user-only file.
        {
            app::AppSettings settings(folder.settingsFile(), folder.root());
            settings.setHubToken(QStringLiteral("  hf_secret_token  "));
            QCOMPARE(settings.hubToken(), QStringLiteral("hf_secret_token"));
        }
        QVERIFY(readAll(folder.settingsFile()).contains("hf_secret_token"));
        QCOMPARE(modeOf(folder.settingsFile()), 0600);

        {
            const storage::Database db = storage::Database::open(folder.databasePath());
            db.exec("CREATE TABLE scratch(x); INSERT INTO scratch VALUES (1)");
            // Both journal files exist while the connection is open.
            QCOMPARE(modeOf(folder.databasePath()), 0600);
            QCOMPARE(modeOf(folder.databasePath() + "-wal"), 0600);
            QCOMPARE(modeOf(folder.databasePath() + "-shm"), 0600);
        }
        QCOMPARE(modeOf(folder.databasePath()), 0600);
    }

    void olderInstallIsTightened() {
        const QString root = dir_.filePath("older");
        QVERIFY(QDir().mkpath(root + "/logs"));
        const QString settingsFile = root + "/settings.ini";
        const QString databaseFile = root + "/nibble.db";
        QString key;
        {
            app::AppSettings settings(settingsFile, root);
            settings.regenerateApiKey();
            key = settings.apiKey();
            storage::Database::open(databaseFile);
        }
        QVERIFY(::chmod(QFile::encodeName(settingsFile).constData(), 0644) == 0);
        QVERIFY(::chmod(QFile::encodeName(databaseFile).constData(), 0644) == 0);
        QVERIFY(::chmod(QFile::encodeName(root).constData(), 0755) == 0);

        qputenv("NIBBLE_DATA_DIR", root.toUtf8());
        const app::DataFolder folder = app::DataFolder::resolve();
        QCOMPARE(modeOf(root), 0700);
        QCOMPARE(modeOf(settingsFile), 0600);
        QCOMPARE(app::AppSettings(settingsFile, root).apiKey(), key);
        const storage::Database db = storage::Database::open(folder.databasePath());
        QCOMPARE(modeOf(databaseFile), 0600);
    }

    void readOnlyFileStaysReadOnly() {
        const QString path = dir_.filePath("read-only.txt");
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("kept");
        }
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0444) == 0);
        QVERIFY(storage::makePrivateFile(path));
        QCOMPARE(modeOf(path), 0400);
        QCOMPARE(readAll(path), QByteArray("kept"));
    }
};

QTEST_GUILESS_MAIN(TestPrivateFiles)
#include "test_private_files.moc"
