#pragma once
// Helpers shared by the storage tests: a raw SQLite connection for building
// files by hand and for playing "another program", and byte-exact file
// snapshots to prove a refused file was left alone.
#include <QByteArray>
#include <QFile>
#include <QString>
#include <QTest>

#include <sqlite3.h>

namespace nibble::test {

inline QByteArray fileBytes(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return file.readAll();
}

inline void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(bytes), bytes.size());
}

// A plain connection, without anything the storage layer does on open.
class RawDb {
public:
    explicit RawDb(const QString& path) { sqlite3_open(path.toUtf8().constData(), &db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;
    ~RawDb() { sqlite3_close(db_); }

    // Runs sql and returns SQLite's result code (SQLITE_OK on success).
    int exec(const QString& sql) {
        return sqlite3_exec(db_, sql.toUtf8().constData(), nullptr, nullptr, nullptr);
    }
    // The first column of the first row, as text; empty when there is none.
    QString scalar(const QString& sql) {
        sqlite3_stmt* stmt = nullptr;
        QString value;
        if (sqlite3_prepare_v2(db_, sql.toUtf8().constData(), -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            value = QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
        sqlite3_finalize(stmt);
        return value;
    }
    QString error() const { return QString::fromUtf8(sqlite3_errmsg(db_)); }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace nibble::test
