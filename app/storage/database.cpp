#include "storage/database.h"

#include "storage/private_file.h"
#include "storage/schema.h"
#include "storage/statement.h"
#include "storage/storage_error.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <sqlite3.h>

#include <string>

namespace nibble::storage {

namespace {

// The files SQLite keeps beside the database while it is in use.
constexpr const char* kCompanionSuffixes[] = {"-wal", "-shm", "-journal"};

QString fromView(std::string_view text) { return QString::fromUtf8(text.data(), qsizetype(text.size())); }

bool folderIsWritable(const QString& path) {
    return QFileInfo(QFileInfo(path).absolutePath()).isWritable();
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Database Database::open(const QString& path, const DatabaseOptions& options) {
    const QFileInfo info(path);
    if (info.exists() && !info.isFile())
        throw StorageError(StorageErrorKind::Io,
                           QStringLiteral("Nibble could not open its chat history: %1 is not a file.")
                               .arg(QDir::toNativeSeparators(path)));
    if (!QDir().mkpath(info.absolutePath()))
        throw StorageError(StorageErrorKind::Io,
                           QStringLiteral("Nibble could not create the folder %1 for its chat history.")
                               .arg(QDir::toNativeSeparators(info.absolutePath())));
    // SQLite gives its journal files the database file's permissions, so a
    // private database keeps the chats in them private too. A file system
    // without permissions is no reason to refuse the file.
    makePrivateFile(path);
    for (const char* suffix : kCompanionSuffixes)
        if (const QString companion = path + QLatin1String(suffix); QFileInfo::exists(companion))
            makePrivateFile(companion);

    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE, nullptr);
    Database db(raw, path);
    if (rc != SQLITE_OK) db.fail(rc, "open its chat history");
    // Closing would otherwise fold the journal into a file being refused
    // (damaged, newer) and delete it; it stays as found until open succeeds.
    sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    sqlite3_busy_timeout(raw, int(options.busyTimeout.count()));
    // SQLite quietly falls back to read-only when the file is not writable;
    // the app would then fail on its first save, far from the cause.
    if (sqlite3_db_readonly(raw, "main") == 1) db.fail(SQLITE_READONLY, "open its chat history");

    // Nothing above or in checkReadable() writes to the file, so a file that
    // is refused here is left exactly as it was.
    db.checkReadable();
    db.configure();
    schema::upgrade(db);
    schema::recoverInterruptedMessages(db);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, nullptr);
    return db;
}

void Database::checkReadable() const {
    const int version = schemaVersion();
    if (version > schema::latestVersion())
        throw StorageError(StorageErrorKind::NewerSchema,
                           QStringLiteral("The chat history at %1 was saved by a newer version of Nibble (database "
                                          "version %2; this version understands up to %3). Nibble has left it "
                                          "untouched: update Nibble to open it.")
                               .arg(QDir::toNativeSeparators(path_))
                               .arg(version)
                               .arg(schema::latestVersion()));
    if (version == 0) {
        // Version 0 is a new, empty file; tables in one mean another program's database.
        Statement tables(*this, "SELECT count(*) FROM sqlite_schema");
        if (tables.step() && tables.int64(0) > 0)
            throw StorageError(StorageErrorKind::Corrupt,
                               QStringLiteral("The file %1 is not a Nibble chat history. Nibble has left it as it "
                                              "is; you can move it aside and start a fresh history.")
                                   .arg(QDir::toNativeSeparators(path_)));
    }
    // Reads every page (linear in the file's size, well under a second for
    // years of chats), so damage shows now, not in the middle of a session.
    Statement check(*this, "PRAGMA quick_check(1)");
    if (check.step() && check.text(0) != QLatin1String("ok"))
        throw StorageError(StorageErrorKind::Corrupt,
                           QStringLiteral("The chat history at %1 is damaged (%2). Nibble has left the file as it "
                                          "is; you can move it aside and start a fresh history.")
                               .arg(QDir::toNativeSeparators(path_), check.text(0)));
}

void Database::configure() const {
    exec("PRAGMA foreign_keys = ON");
    Statement wal(*this, "PRAGMA journal_mode = WAL");
    if (!wal.step() || wal.text(0) != QLatin1String("wal"))
        throw StorageError(StorageErrorKind::Io,
                           QStringLiteral("Nibble could not open its chat history at %1: the file system does not "
                                          "support the shared-memory journal it needs. Move the app data folder to "
                                          "a local disk.")
                               .arg(QDir::toNativeSeparators(path_)));
    // In WAL mode NORMAL survives an application crash (the case that
    // matters while a reply streams in) and makes each commit cheap.
    exec("PRAGMA synchronous = NORMAL");
}

QString Database::quarantine(const QString& path) {
    if (!QFile::exists(path))
        throw StorageError(StorageErrorKind::NotFound,
                           QStringLiteral("There is no chat history at %1 to move aside.")
                               .arg(QDir::toNativeSeparators(path)));
    const QString base =
        path + QStringLiteral(".corrupt-") + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString target = base;
    for (int n = 2; QFile::exists(target); ++n) target = base + QLatin1Char('-') + QString::number(n);

    const auto cannotMove = [&](const QString& file) {
        return StorageError(StorageErrorKind::Io,
                            QStringLiteral("Nibble could not move the damaged chat history %1 aside to %2.")
                                .arg(QDir::toNativeSeparators(file), QDir::toNativeSeparators(target)));
    };
    if (!QFile::rename(path, target)) throw cannotMove(path);
    // A journal left beside a fresh database would be replayed into it, so
    // the companions must move too, or nothing moves.
    for (const char* suffix : kCompanionSuffixes) {
        const QString companion = path + QLatin1String(suffix);
        if (QFile::exists(companion) && !QFile::rename(companion, target + QLatin1String(suffix))) {
            for (const char* moved : kCompanionSuffixes) {
                if (moved == suffix) break;
                QFile::rename(target + QLatin1String(moved), path + QLatin1String(moved));
            }
            QFile::rename(target, path);
            throw cannotMove(companion);
        }
    }
    return target;
}

void Database::exec(std::string_view sql) const {
    const std::string text(sql);
    const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "update its chat history");
}

Statement Database::prepare(std::string_view sql) const { return Statement(*this, sql); }

qint64 Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_.get()); }

int Database::changes() const { return sqlite3_changes(db_.get()); }

bool Database::inTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

int Database::schemaVersion() const {
    Statement version(*this, "PRAGMA user_version");
    version.step();
    return int(version.int64(0));
}

void Database::fail(int rc, std::string_view doing) const {
    const QString what = fromView(doing);
    const QString where = QDir::toNativeSeparators(path_);
    const QString detail = QString::fromUtf8(db_ && sqlite3_extended_errcode(db_.get()) == rc
                                                 ? sqlite3_errmsg(db_.get())
                                                 : sqlite3_errstr(rc));
    const auto error = [&](StorageErrorKind kind, const QString& text) {
        return StorageError(kind, text + QStringLiteral(" (SQLite: %1)").arg(detail));
    };
    const int primary = rc & 0xff;
    // SQLite must create its journal beside the database, so a writable file
    // in a read-only folder cannot be used either.
    if ((primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN) && QFileInfo(path_).isWritable() &&
        !folderIsWritable(path_))
        throw error(StorageErrorKind::ReadOnly,
                    QStringLiteral("Nibble could not %1: the folder %2 is read-only, and Nibble needs to create "
                                   "files next to its chat history there. Check the folder's permissions.")
                        .arg(what, QDir::toNativeSeparators(QFileInfo(path_).absolutePath())));
    switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        throw error(StorageErrorKind::Locked,
                    QStringLiteral("Nibble could not %1: the chat history at %2 is in use by another program, "
                                   "perhaps another copy of Nibble. Close it and try again.")
                        .arg(what, where));
    case SQLITE_READONLY:
        throw error(StorageErrorKind::ReadOnly,
                    QStringLiteral("Nibble could not %1: the chat history at %2 is read-only. Check that your "
                                   "account may write to the file and its folder.")
                        .arg(what, where));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        throw error(StorageErrorKind::Corrupt,
                    QStringLiteral("Nibble could not %1: the file %2 is damaged or is not a Nibble chat history. "
                                   "Nibble has left it as it is; you can move it aside and start a fresh history.")
                        .arg(what, where));
    case SQLITE_FULL:
        throw error(StorageErrorKind::DiskFull,
                    QStringLiteral("Nibble could not %1: the disk holding %2 is full. Free some space and try again.")
                        .arg(what, where));
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_IOERR:
    case SQLITE_AUTH:
        throw error(StorageErrorKind::Io,
                    QStringLiteral("Nibble could not %1: the system refused access to %2.").arg(what, where));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        throw error(StorageErrorKind::InvalidData,
                    QStringLiteral("Nibble could not %1: the value does not fit its chat history.").arg(what));
    default:
        throw error(StorageErrorKind::Internal,
                    QStringLiteral("Nibble could not %1 in %2. This is a bug in Nibble.").arg(what, where));
    }
}

}  // namespace nibble::storage
