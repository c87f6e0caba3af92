#pragma once
// A fixed set of worker threads that split a range of work items between
// them; the CPU matmuls run on it so decoding uses every core.
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nibble {

class ThreadPool {
public:
    explicit ThreadPool(unsigned threads = 0);  // 0: one per hardware thread
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
    // Calls fn(begin, end) over disjoint chunks covering [0, count), on the
    // workers and the calling thread, and returns when all are done.
    void parallelFor(size_t count, const std::function<void(size_t, size_t)>& fn);

private:
    void workerLoop(unsigned index);

    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_, done_;
    const std::function<void(size_t, size_t)>* job_ = nullptr;
    size_t count_ = 0;
    uint64_t generation_ = 0;
    unsigned pending_ = 0;
    bool stopping_ = false;
};

}  // namespace nibble
