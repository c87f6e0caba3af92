#pragma once
// A zeroed float array whose memory the operating system commits page by
// page as it is first written: a KV cache sized for the whole context costs
// only what the conversation has filled so far. (A std::vector would write
// every page at once to zero it.)
#include <cstddef>

namespace nibble {

class LazyFloats {
public:
    LazyFloats() = default;
    // Throws Error(OutOfMemory) when the address space cannot be reserved.
    explicit LazyFloats(size_t count);
    ~LazyFloats();
    LazyFloats(LazyFloats&& other) noexcept;
    LazyFloats& operator=(LazyFloats&& other) noexcept;
    LazyFloats(const LazyFloats&) = delete;
    LazyFloats& operator=(const LazyFloats&) = delete;

    float* data() { return data_; }
    const float* data() const { return data_; }
    size_t size() const { return count_; }
    float& operator[](size_t i) { return data_[i]; }
    const float& operator[](size_t i) const { return data_[i]; }

private:
    void release() noexcept;

    float* data_ = nullptr;
    size_t count_ = 0;
};

}  // namespace nibble
