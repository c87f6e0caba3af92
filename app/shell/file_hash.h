#pragma once
// The SHA-256 of a file, read in pieces so a long one can be abandoned.
#include <QString>

#include <atomic>
#include <optional>

namespace nibble::app {

// Lower-case hex; nothing when cancel became true meanwhile. Throws
// nibble::Error(Io) when the file cannot be read.
std::optional<QString> fileSha256(const QString& path, const std::atomic<bool>& cancel);

}  // namespace nibble::app
