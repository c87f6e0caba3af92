#include "cpu/thread_pool.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace nibble {
namespace {

// How long an idle worker polls for the next job before it sleeps: longer
// than the gap between two matmuls of a token, far shorter than a human pause.
constexpr int kSpinRounds = 20000;
constexpr int kYieldRounds = 200;

void cpuRelax() {
#if defined(__x86_64__) || defined(_M_X64)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// Waits until done() is true: spinning, then yielding the core, so a waiter
// on an oversubscribed machine does not starve the thread it waits for.
template <typename Done>
bool spinUntil(Done done) {
    for (int i = 0; i < kSpinRounds; ++i) {
        if (done()) return true;
        cpuRelax();
    }
    for (int i = 0; i < kYieldRounds; ++i) {
        if (done()) return true;
        std::this_thread::yield();
    }
    return done();
}

}  // namespace

unsigned ThreadPool::physicalCores() {
    const unsigned fallback = std::max(1u, std::thread::hardware_concurrency());
#if defined(__linux__)
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return fallback;
    std::set<std::pair<int, int>> cores;
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
        std::ifstream coreFile(dir + "core_id"), packageFile(dir + "physical_package_id");
        int core = -1, package = -1;
        if (!(coreFile >> core) || !(packageFile >> package)) return std::min<unsigned>(fallback, CPU_COUNT(&allowed));
        cores.emplace(package, core);
    }
    if (!cores.empty()) return static_cast<unsigned>(cores.size());
#endif
    return fallback;
}

ThreadPool::ThreadPool(unsigned threads) {
    if (threads == 0) threads = physicalCores();
    for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
    stopping_.store(true);
    {
        std::lock_guard lock(sleepMutex_);
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::runChunks() {
    for (;;) {
        const size_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
        if (begin >= count_) return;
        (*job_)(begin, std::min(count_, begin + chunk_));
    }
}

void ThreadPool::parallelFor(size_t count, const std::function<void(size_t, size_t)>& fn) {
    if (workers_.empty() || count < 2) {
        if (count) fn(0, count);
        return;
    }
    const std::lock_guard call(callMutex_);
    job_ = &fn;
    count_ = count;
    // About four chunks a thread: small enough to even out, large enough
    // that taking one is rare next to the work in it.
    chunk_ = std::max<size_t>(1, count / (size_t(size()) * 4));
    next_.store(0, std::memory_order_relaxed);
    pending_.store(static_cast<unsigned>(workers_.size()), std::memory_order_relaxed);
    // seq_cst on both sides (here and in workerLoop) makes sure a worker going
    // to sleep either sees the new generation or is seen as a sleeper.
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
        { std::lock_guard lock(sleepMutex_); }
        wake_.notify_all();
    }
    runChunks();
    if (!spinUntil([this] { return pending_.load(std::memory_order_acquire) == 0; }))
        while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    job_ = nullptr;
}

void ThreadPool::workerLoop() {
    uint64_t seen = 0;
    for (;;) {
        const auto changed = [&] { return stopping_.load() || generation_.load() != seen; };
        if (!spinUntil(changed)) {
            std::unique_lock lock(sleepMutex_);
            sleepers_.fetch_add(1);
            wake_.wait(lock, changed);
            sleepers_.fetch_sub(1);
        }
        if (stopping_.load()) return;
        seen = generation_.load();
        runChunks();
        pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
}

}  // namespace nibble
