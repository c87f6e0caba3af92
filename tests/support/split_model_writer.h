#pragma once
// Writes a model split into parts the way llama.cpp's gguf-split does
// (split.count, split.no, split.tensors.count; the metadata in the first
// part, the tensors spread over all), for tests of split models. Needs
// nibble_engine_internal.
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace nibble::test {

// Writes source as `count` parts named <stem>-0000K-of-0000N.gguf in folder; returns the first.
inline std::filesystem::path writeSplit(const std::filesystem::path& source, const std::filesystem::path& folder,
                                        const std::string& stem, int count) {
    const gguf::GgufFile file(source);
    const auto& tensors = file.tensors();
    std::filesystem::path first;
    for (int part = 0; part < count; ++part) {
        gguf::GgufWriter writer(file.alignment());
        if (part == 0) writer.copyMetadata(file);
        writer.setUInt16("split.no", uint16_t(part));
        writer.setUInt16("split.count", uint16_t(count));
        writer.setUInt32("split.tensors.count", uint32_t(tensors.size()));
        const size_t begin = tensors.size() * part / count, end = tensors.size() * (part + 1) / count;
        for (size_t k = begin; k < end; ++k) {
            const gguf::TensorInfo* t = &tensors[k];
            writer.addTensor(std::string(t->name), t->shape, t->type,
                             [t] { return std::vector<uint8_t>(t->data, t->data + t->byteSize); });
        }
        char name[64];
        std::snprintf(name, sizeof name, "-%05d-of-%05d.gguf", part + 1, count);
        const std::filesystem::path path = folder / (stem + name);
        writer.write(path);
        if (part == 0) first = path;
    }
    return first;
}

}  // namespace nibble::test
