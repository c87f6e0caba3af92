#pragma once
// The one exception type the storage layer throws. Its message is written for
// a person ("The chat history at ... is in use by another program"), so the
// app can show it as it is; kind() lets the app offer the right way out, such
// as quarantine() for a damaged file.
#include <QString>

#include <stdexcept>

namespace nibble::storage {

enum class StorageErrorKind {
    Locked,       // another connection holds the database and did not let go in time
    ReadOnly,     // the file or its folder cannot be written
    Corrupt,      // not a database, or a damaged one
    NewerSchema,  // written by a newer Nibble; left untouched
    DiskFull,     // no space left to write
    Io,           // the operating system refused to open, read or write
    InvalidData,  // an imported file or a caller's value that cannot be stored
    NotFound,     // the row the caller named does not exist (any more)
    Internal,     // a bug in Nibble, such as malformed SQL
};

class StorageError : public std::runtime_error {
public:
    StorageError(StorageErrorKind kind, const QString& message);
    StorageErrorKind kind() const noexcept { return kind_; }
    QString message() const { return QString::fromUtf8(what()); }

private:
    StorageErrorKind kind_;
};

}  // namespace nibble::storage
