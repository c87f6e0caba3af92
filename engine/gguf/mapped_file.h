#pragma once
// A read-only memory map of a whole file, unmapped when destroyed.
#include <cstdint>
#include <filesystem>
#include <span>

namespace nibble {

class MappedFile {
public:
    explicit MappedFile(const std::filesystem::path& path);  // throws Error(Io)
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::span<const uint8_t> bytes() const { return {data_, size_}; }

private:
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace nibble
