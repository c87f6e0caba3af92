#pragma once
// Adding a GGUF file to the model catalogue: reads its metadata (not its
// weights), finds or creates the model it belongs to and records the file as
// one of that model's variants.
#include "storage/variant_store.h"

#include <QString>

namespace nibble::storage {
class Database;
struct Model;
}

namespace nibble::app {

// Registers the file, or returns its variant when the path is already known.
// sha256 is recorded when the caller knows it (a verified download).
// Throws nibble::Error when the file is not a model Nibble can read.
storage::Variant registerModelFile(const storage::Database& db, const QString& filePath, storage::VariantOrigin origin,
                                   const QString& sha256 = {});

// "4-bit" for Q4_1, "16-bit" for F16, ...; empty when unknown.
QString precisionBits(const QString& precision);
// "135M", "1.7B"
QString parameterCountLabel(qint64 parameters);
// "SmolLM2 135M Instruct - 4-bit (Q4_1)", as the precision dropdown shows it.
QString variantLabel(const storage::Model& model, const storage::Variant& variant);

}  // namespace nibble::app
