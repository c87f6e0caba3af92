#pragma once
// All-or-nothing for a multi-row change: rolls back unless commit() ran.
// Takes the write lock at once (BEGIN IMMEDIATE), so a busy database fails
// before any work is done; inside another transaction it becomes a savepoint,
// so store methods compose.
namespace nibble::storage {

class Database;

class Transaction {
public:
    explicit Transaction(const Database& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    void commit();

private:
    const Database& db_;
    bool nested_;
    bool done_ = false;
};

}  // namespace nibble::storage
