#pragma once
// Reads GGUF files (versions 2 and 3) through a read-only memory map. Every
// count, length, shape and offset is checked against the file before use, so
// a malformed file yields an Error naming the file and the problem, never a
// crash or a huge allocation.
#include "gguf/mapped_file.h"
#include "tensor/ggml_type.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nibble::gguf {

enum class ValueType : uint32_t {
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6,
    Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};

std::string_view valueTypeName(ValueType type);

// A metadata value. Strings and arrays point into the mapped file.
struct Value {
    ValueType type = ValueType::UInt8;
    uint64_t u = 0;            // unsigned scalars and Bool
    int64_t i = 0;             // signed scalars
    double f = 0;              // floating scalars
    std::string_view str;      // String
    ValueType elemType = ValueType::UInt8;  // Array: element type
    uint64_t count = 0;        // Array: element count
    const uint8_t* raw = nullptr;           // Array of numbers: little-endian elements
    std::vector<std::string_view> strings;  // Array of String
    std::vector<Value> items;               // Array of Array

    bool isInteger() const;
    bool isFloat() const;
    // Numeric scalar as the asked type; nullopt for non-numeric values.
    std::optional<int64_t> asInt() const;
    std::optional<double> asFloat() const;
    // Numeric array as a vector; nullopt for other values.
    std::optional<std::vector<int64_t>> intArray() const;
    std::optional<std::vector<float>> floatArray() const;
    // Renders the value for people (`nibble-cli info`): long arrays are cut.
    std::string toDisplayString(size_t maxItems = 8) const;
};

struct TensorInfo {
    std::string_view name;
    std::vector<uint64_t> shape;  // ne[0] is the contiguous (row) dimension
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;          // from the start of the data section
    uint64_t byteSize = 0;
    const uint8_t* data = nullptr;

    uint64_t elementCount() const;
    uint64_t rows() const { return elementCount() / shape[0]; }
};

class GgufFile {
public:
    // Opens and validates the whole file. Throws Error(InvalidFile) or Error(Io).
    // A model split into parts as llama.cpp's gguf-split writes them
    // ("name-00001-of-00003.gguf": split.count, split.no, split.tensors.count)
    // is opened from its first part: the metadata is the first part's, the
    // tensors those of every part, each read from the part that holds it.
    explicit GgufFile(const std::filesystem::path& path);
    // Parses an in-memory image (fuzzing, tests). The bytes must outlive the object.
    GgufFile(std::span<const uint8_t> bytes, std::string displayName);

    const std::string& displayName() const { return name_; }
    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    uint64_t dataOffset() const { return dataOffset_; }
    uint64_t fileSize() const { return totalSize_; }  // every part of a split model together
    size_t partCount() const { return 1 + parts_.size(); }

    const std::vector<std::pair<std::string_view, Value>>& metadata() const { return metadata_; }
    const Value* find(std::string_view key) const;
    std::optional<std::string_view> getString(std::string_view key) const;
    std::optional<int64_t> getInt(std::string_view key) const;
    std::optional<double> getFloat(std::string_view key) const;
    std::optional<bool> getBool(std::string_view key) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* findTensor(std::string_view name) const;
    // The type holding most weight-matrix elements (F32 for a file with none):
    // what a file is called when its metadata does not say.
    GgmlType mostCommonWeightType() const;

private:
    struct PartTag {};
    GgufFile(PartTag, const std::filesystem::path& path);
    void parse();
    void openOtherParts(const std::filesystem::path& firstPart);

    std::optional<MappedFile> map_;
    std::vector<std::unique_ptr<GgufFile>> parts_;  // a split model's parts after the first
    uint64_t totalSize_ = 0;
    std::span<const uint8_t> bytes_;
    std::string name_;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    uint64_t dataOffset_ = 0;
    std::vector<std::pair<std::string_view, Value>> metadata_;
    std::map<std::string_view, size_t, std::less<>> metadataIndex_;
    std::vector<TensorInfo> tensors_;
    std::map<std::string_view, size_t, std::less<>> tensorIndex_;
};

}  // namespace nibble::gguf
