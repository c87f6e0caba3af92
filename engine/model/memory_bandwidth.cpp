#include "nibble/memory_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nibble {
namespace {

// Sum of n 64-bit words, n a multiple of 8, read 16 bytes at a time into four
// independent sums: one scalar running sum is bound by the adder, not by
// memory (about a third of the rate on a 2-core AVX-512 machine), and
// decoding, whose kernels read with wide loads, would seem faster than the
// bound.
uint64_t sumWords(const uint64_t* words, size_t n) {
    using Pair = uint64_t __attribute__((vector_size(16)));
    Pair s0{}, s1{}, s2{}, s3{};
    for (size_t i = 0; i < n; i += 8) {
        Pair v[4];
        std::memcpy(v, words + i, sizeof v);
        s0 += v[0];
        s1 += v[1];
        s2 += v[2];
        s3 += v[3];
    }
    const Pair s = s0 + s1 + s2 + s3;
    return s[0] + s[1];
}

}  // namespace

double measureMemoryReadBandwidth(size_t bytes, unsigned threads, int passes) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    const size_t per = bytes / sizeof(uint64_t) / threads / 8 * 8;
    if (per == 0 || passes < 1) throw std::invalid_argument("measureMemoryReadBandwidth: nothing to read");
    std::vector<uint64_t> data(per * threads, 1);
    double best = 0;
    for (int pass = 0; pass < passes; ++pass) {
        std::vector<uint64_t> sums(threads);
        const auto start = std::chrono::steady_clock::now();
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { sums[t] = sumWords(data.data() + t * per, per); });
        for (auto& th : pool) th.join();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        uint64_t total = 0;
        for (uint64_t s : sums) total += s;
        // Also keeps the compiler from dropping the reads.
        if (total != per * threads) throw std::logic_error("measureMemoryReadBandwidth: wrong sum");
        if (seconds > 0) best = std::max(best, double(per * threads * sizeof(uint64_t)) / seconds);
    }
    return best;
}

}  // namespace nibble
