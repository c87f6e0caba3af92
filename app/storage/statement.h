#pragma once
// A prepared SQLite statement with typed bind and column helpers. Indexes
// follow SQLite: bind() counts from 1, columns from 0. Timestamps are stored
// as UTC milliseconds since the epoch, absent values as NULL.
#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <memory>
#include <optional>
#include <string_view>

struct sqlite3_stmt;

namespace nibble::storage {

class Database;

class Statement {
public:
    Statement(const Database& db, std::string_view sql);
    Statement(Statement&&) noexcept = default;
    Statement& operator=(Statement&&) noexcept = default;
    ~Statement() = default;

    Statement& bind(int index, std::nullopt_t);
    Statement& bind(int index, qint64 value);
    Statement& bind(int index, int value) { return bind(index, qint64{value}); }
    Statement& bind(int index, double value);
    Statement& bind(int index, const QString& value);
    Statement& bind(int index, const char* value) { return bind(index, QString::fromUtf8(value)); }
    Statement& bind(int index, const QDateTime& value);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, std::nullopt);
    }
    // Binds the arguments to parameters 1, 2, ... in order.
    template <typename... Ts>
    Statement& bindAll(const Ts&... values) {
        int index = 0;
        (bind(++index, values), ...);
        return *this;
    }

    // Advances to the next row; false once there are none (the statement is
    // then reset, so its read lock is released at once).
    bool step();
    // Runs a statement that returns no rows.
    void run();
    // Makes the statement ready to run again with new bindings.
    void reset();

    bool isNull(int column) const;
    qint64 int64(int column) const;
    double real(int column) const;
    QString text(int column) const;
    QDateTime dateTime(int column) const;
    std::optional<qint64> optionalInt64(int column) const;
    std::optional<double> optionalReal(int column) const;
    std::optional<QDateTime> optionalDateTime(int column) const;

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* stmt) const;
    };
    const Database* db_;
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

}  // namespace nibble::storage
