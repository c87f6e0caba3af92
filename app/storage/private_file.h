#pragma once
// Files and folders only the user's account may open: the chat history and
// the settings (which hold the API key) are nobody else's business on a
// shared machine. Qt and SQLite create files as the umask allows (usually
// readable by everyone), so the owner creates them private first.
#include <QString>

namespace nibble::storage {

// Creates path as an empty file readable and writable by its owner only, or
// takes the others' access away from an existing one. False when the file
// system refused (some, like FAT, have no such permissions).
bool makePrivateFile(const QString& path);

// Creates the folder (and any missing parents) for its owner only, or takes
// the others' access away from an existing one; false when that failed.
bool makePrivateFolder(const QString& path);

}  // namespace nibble::storage
