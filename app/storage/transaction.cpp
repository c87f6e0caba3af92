#include "storage/transaction.h"

#include "storage/database.h"

#include <sqlite3.h>

namespace nibble::storage {

Transaction::Transaction(const Database& db) : db_(db), nested_(db.inTransaction()) {
    db_.exec(nested_ ? "SAVEPOINT nibble_nested" : "BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    // SQLite rolls the whole transaction back by itself after some errors
    // (disk full, I/O); then there is nothing left to undo here.
    if (done_ || !db_.inTransaction()) return;
    const char* sql = nested_ ? "ROLLBACK TO nibble_nested; RELEASE nibble_nested" : "ROLLBACK";
    sqlite3_exec(db_.handle(), sql, nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec(nested_ ? "RELEASE nibble_nested" : "COMMIT");
    done_ = true;
}

}  // namespace nibble::storage
