#pragma once
// One open connection to Nibble's database file. open() refuses, with a
// StorageError and without writing a byte, a file that is locked, read-only,
// damaged or from a newer Nibble; otherwise it brings the schema up to date
// and repairs what a crash left behind. One Database per thread; the stores
// borrow it and must not outlive it.
#include <QString>

#include <chrono>
#include <memory>
#include <string_view>

struct sqlite3;

namespace nibble::storage {

class Statement;

struct DatabaseOptions {
    // How long to wait for another connection to let go of the file before
    // reporting it as locked.
    std::chrono::milliseconds busyTimeout{5000};
};

class Database {
public:
    static Database open(const QString& path, const DatabaseOptions& options = {});

    // Moves a damaged file (and its -wal/-shm/-journal companions) aside as
    // "<path>.corrupt-<UTC timestamp>" so a fresh database can be opened at
    // path. Only ever called when the user asks; returns the new name.
    static QString quarantine(const QString& path);

    Database(Database&&) noexcept = default;
    Database& operator=(Database&&) noexcept = default;
    ~Database() = default;

    const QString& path() const { return path_; }
    sqlite3* handle() const { return db_.get(); }

    // Runs SQL that returns no rows (one or more statements).
    void exec(std::string_view sql) const;
    Statement prepare(std::string_view sql) const;
    qint64 lastInsertId() const;
    int changes() const;
    bool inTransaction() const;
    int schemaVersion() const;

    // Throws the StorageError for SQLite result code rc; `doing` says what
    // was being attempted ("save the message").
    [[noreturn]] void fail(int rc, std::string_view doing) const;

private:
    struct Closer {
        void operator()(sqlite3* db) const;
    };
    Database(sqlite3* db, QString path) : db_(db), path_(std::move(path)) {}
    void checkReadable() const;
    void configure() const;

    std::unique_ptr<sqlite3, Closer> db_;
    QString path_;
};

}  // namespace nibble::storage
