#include "storage/statement.h"

#include "storage/database.h"
#include "storage/storage_error.h"

#include <sqlite3.h>

namespace nibble::storage {

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Statement::Statement(const Database& db, std::string_view sql) : db_(&db) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), int(sql.size()), &stmt, nullptr);
    stmt_.reset(stmt);
    if (rc != SQLITE_OK) db.fail(rc, "prepare a query");
}

namespace {
void checkBind(const Database& db, int rc) {
    if (rc != SQLITE_OK) db.fail(rc, "prepare a query");
}
}  // namespace

Statement& Statement::bind(int index, std::nullopt_t) {
    checkBind(*db_, sqlite3_bind_null(stmt_.get(), index));
    return *this;
}

Statement& Statement::bind(int index, qint64 value) {
    checkBind(*db_, sqlite3_bind_int64(stmt_.get(), index, value));
    return *this;
}

Statement& Statement::bind(int index, double value) {
    checkBind(*db_, sqlite3_bind_double(stmt_.get(), index, value));
    return *this;
}

Statement& Statement::bind(int index, const QString& value) {
    const QByteArray utf8 = value.toUtf8();
    checkBind(*db_, sqlite3_bind_text64(stmt_.get(), index, utf8.constData(), sqlite3_uint64(utf8.size()),
                                        SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}

Statement& Statement::bind(int index, const QDateTime& value) {
    if (!value.isValid()) return bind(index, std::nullopt);
    return bind(index, value.toMSecsSinceEpoch());
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_.get());
    if (rc == SQLITE_ROW) return true;
    sqlite3_reset(stmt_.get());
    if (rc == SQLITE_DONE) return false;
    db_->fail(rc, "read or save its chat history");
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
}

bool Statement::isNull(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

qint64 Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_.get(), column); }

QString Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), column));
    return QString::fromUtf8(data, sqlite3_column_bytes(stmt_.get(), column));
}

QDateTime Statement::dateTime(int column) const {
    if (isNull(column)) return {};
    return QDateTime::fromMSecsSinceEpoch(int64(column), Qt::UTC);
}

std::optional<qint64> Statement::optionalInt64(int column) const {
    if (isNull(column)) return std::nullopt;
    return int64(column);
}

std::optional<double> Statement::optionalReal(int column) const {
    if (isNull(column)) return std::nullopt;
    return real(column);
}

std::optional<QDateTime> Statement::optionalDateTime(int column) const {
    if (isNull(column)) return std::nullopt;
    return dateTime(column);
}

}  // namespace nibble::storage
