#include "cpu/lazy_floats.h"

#include "nibble/error.h"

#include <string>
#include <utility>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <sys/mman.h>
#endif

namespace nibble {
namespace {

#if !defined(_WIN32) && defined(MAP_NORESERVE)
constexpr int kNoReserve = MAP_NORESERVE;  // Linux: no swap set aside for pages never written
#else
constexpr int kNoReserve = 0;
#endif

}  // namespace

LazyFloats::LazyFloats(size_t count) : count_(count) {
    if (count == 0) return;
    const size_t bytes = count * sizeof(float);
    // Fresh anonymous pages read as zero and take no memory until written.
#ifdef _WIN32
    void* p = VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    const bool failed = p == nullptr;
#else
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | kNoReserve, -1, 0);
    const bool failed = p == MAP_FAILED;
#endif
    if (failed) {
        count_ = 0;
        throw Error(ErrorKind::OutOfMemory,
                    "could not reserve " + std::to_string(bytes >> 20) + " MiB for the context; choose a shorter context");
    }
    data_ = static_cast<float*>(p);
}

LazyFloats::~LazyFloats() { release(); }

LazyFloats::LazyFloats(LazyFloats&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}

LazyFloats& LazyFloats::operator=(LazyFloats&& other) noexcept {
    if (this != &other) {
        release();
        data_ = std::exchange(other.data_, nullptr);
        count_ = std::exchange(other.count_, 0);
    }
    return *this;
}

void LazyFloats::release() noexcept {
    if (!data_) return;
#ifdef _WIN32
    VirtualFree(data_, 0, MEM_RELEASE);
#else
    munmap(data_, count_ * sizeof(float));
#endif
    data_ = nullptr;
    count_ = 0;
}

}  // namespace nibble
