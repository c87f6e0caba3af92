#pragma once
// A fixed set of worker threads that split a range of work items between
// them; the CPU matmuls run on it so decoding uses every core.
//
// A token's forward pass hands out several hundred small jobs, each a few
// tens of microseconds long, so waking the workers must cost far less than
// that: between jobs they spin briefly on a generation counter before they
// sleep, and the items are taken in chunks from a shared counter, so a thread
// that finishes early takes more instead of waiting for a slow one.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace nibble {

class ThreadPool {
public:
    explicit ThreadPool(unsigned threads = 0);  // 0: one per physical core
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
    // Calls fn(begin, end) over disjoint chunks covering [0, count), on the
    // workers and the calling thread, and returns when all are done. Calls
    // from several threads take turns.
    void parallelFor(size_t count, const std::function<void(size_t, size_t)>& fn);

    // The processor's physical cores this process may run on (hyper-threads
    // share one core's arithmetic units, so more threads only contend).
    static unsigned physicalCores();

private:
    void workerLoop();
    void runChunks();

    std::vector<std::thread> workers_;
    std::mutex callMutex_;  // one parallelFor at a time
    std::mutex sleepMutex_;
    std::condition_variable wake_;
    std::atomic<unsigned> sleepers_{0};
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> generation_{0};
    // The current job, written before generation_ moves on.
    const std::function<void(size_t, size_t)>* job_ = nullptr;
    size_t count_ = 0;
    size_t chunk_ = 1;
    std::atomic<size_t> next_{0};
    std::atomic<unsigned> pending_{0};  // workers still inside the current job
};

}  // namespace nibble
