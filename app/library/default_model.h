#pragma once
// The model Nibble ships with (SmolLM2 135M Instruct, Q4_1), so a first start
// can chat at once.
#include "storage/variant_store.h"

#include <QString>

#include <optional>

namespace nibble::storage {
class Database;
}

namespace nibble::app {

inline constexpr const char* kDefaultModelFile = "SmolLM2-135M-Instruct.Q4_1.gguf";

// Looks, in order, at NIBBLE_DEFAULT_MODEL, <install prefix>/share/nibble/models/
// and the test-model cache (~/.cache/nibble/test-models/).
std::optional<QString> findDefaultModel();

// On a catalogue with no models yet, registers the default model as bundled.
// Returns the variant it registered, if any.
std::optional<storage::Variant> registerDefaultModelOnFirstRun(const storage::Database& db);

}  // namespace nibble::app
