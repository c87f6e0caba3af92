#include "storage/storage_error.h"

namespace nibble::storage {

StorageError::StorageError(StorageErrorKind kind, const QString& message)
    : std::runtime_error(message.toStdString()), kind_(kind) {}

}  // namespace nibble::storage
