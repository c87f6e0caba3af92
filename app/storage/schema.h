#pragma once
// The database schema and its history. Version N of the schema is reached by
// running migrations 1..N in order, each recorded in PRAGMA user_version, so
// a file from any earlier Nibble opens in this one. Migrations are never
// edited once released; a change is a new migration at the end.
namespace nibble::storage {

class Database;

namespace schema {

int latestVersion();

// Runs the migrations the file lacks, all in one transaction.
void upgrade(const Database& db);

// A reply that was still streaming when Nibble stopped (a crash, a kill)
// keeps its text and becomes 'interrupted'. Returns how many were.
int recoverInterruptedMessages(const Database& db);

}  // namespace schema
}  // namespace nibble::storage
