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
// Whether variant was made from source and has more bits than it: more bits
// that hold no more than the source did.
bool madeFromFewerBits(const storage::Variant& variant, const storage::Variant* source);
// A variant made from a file of fewer bits says so ("8-bit made from the
// 4-bit file"): it holds no more than that file did, so it cannot be better.
QString variantLabel(const storage::Model& model, const storage::Variant& variant,
                     const storage::Variant* source = nullptr);

}  // namespace nibble::app
