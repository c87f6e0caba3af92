#pragma once
// What a GGUF file says about the model in it, read from its header without
// loading the weights: what the model library records for a file and what
// `nibble-cli info` prints.
//
//   const nibble::ModelFileSummary file = nibble::inspectModelFile("model.gguf");
//   if (file.fileType) show(file.fileTypeName);
//
// Values come typed, as the file stores them, so nobody parses them back out
// of display text (which quotes, shortens and flattens strings).
#include "nibble/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nibble {

struct ModelFileSummary {
    std::string name;          // general.name, often a training-run label; empty when absent
    std::string architecture;  // general.architecture; empty when absent
    // general.file_type: the number the established tools give the file's
    // mix of tensor types (see nibble/file_type.h), and their name for it,
    // e.g. 15 and "Q4_K_M". The name is empty for a number they do not name.
    std::optional<int64_t> fileType;
    std::string fileTypeName;
    std::string license;                // general.license; empty when absent
    uint32_t trainedContextLength = 0;  // <architecture>.context_length; 0 when absent
    uint64_t parameterCount = 0;        // elements of every tensor
    bool hasChatTemplate = false;       // tokenizer.chat_template
    uint32_t ggufVersion = 0;
    uint64_t tensorCount = 0;
    std::vector<std::pair<std::string, uint64_t>> tensorTypes;  // type name, tensor count, by name
    // Every key with its value as display text, for people to read.
    std::vector<std::pair<std::string, std::string>> metadata;
};

// Throws Error when the file cannot be read or is not GGUF Nibble understands.
ModelFileSummary inspectModelFile(const std::filesystem::path& path);

}  // namespace nibble
