#pragma once
// Writes GGUF version 3 files that other tools load too: metadata copied or
// set, tensors aligned to general.alignment, and the file written atomically
// (a temporary file beside the target, renamed over it only when complete),
// so an interrupted write never leaves a half file that looks valid.
#include "gguf/gguf_reader.h"

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace nibble::gguf {

class GgufWriter {
public:
    explicit GgufWriter(uint32_t alignment = 32);

    // Copies every metadata entry of the source (which must stay open until write()).
    void copyMetadata(const GgufFile& source);
    void setString(const std::string& key, const std::string& value);
    void setUInt16(const std::string& key, uint16_t value);
    void setUInt32(const std::string& key, uint32_t value);
    void setFloat32(const std::string& key, float value);
    void setStringArray(const std::string& key, const std::vector<std::string>& values);
    void setFloat32Array(const std::string& key, const std::vector<float>& values);
    void setInt32Array(const std::string& key, const std::vector<int32_t>& values);
    void remove(const std::string& key);

    // Adds a tensor whose bytes are made only when write() reaches it, so a
    // whole model never has to sit in memory. produce must return exactly the
    // type's byte size for the shape.
    void addTensor(const std::string& name, std::vector<uint64_t> shape, GgmlType type,
                   std::function<std::vector<uint8_t>()> produce);

    // Writes the file; progress(tensorsDone, tensorsTotal). Throws Error(Io) on
    // a full disk or any write failure, and removes the temporary file on any
    // exception (a Cancelled error from produce included).
    void write(const std::filesystem::path& path, const std::function<void(size_t, size_t)>& progress = {}) const;

private:
    struct Tensor {
        std::string name;
        std::vector<uint64_t> shape;
        GgmlType type;
        uint64_t byteSize;
        std::function<std::vector<uint8_t>()> produce;
    };
    void set(const std::string& key, Value value);
    template <typename T>
    void setNumberArray(const std::string& key, ValueType elementType, const std::vector<T>& values);
    std::string_view keep(std::string s);

    uint32_t alignment_;
    std::vector<std::pair<std::string, Value>> metadata_;
    std::deque<std::string> owned_;         // storage behind string views of values we set
    std::deque<std::vector<uint8_t>> raw_;  // storage behind numeric arrays we set
    std::vector<Tensor> tensors_;
};

}  // namespace nibble::gguf
