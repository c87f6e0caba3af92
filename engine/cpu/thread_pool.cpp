#include "cpu/thread_pool.h"

#include <algorithm>

namespace nibble {
namespace {

std::pair<size_t, size_t> chunk(size_t count, unsigned parts, unsigned index) {
    size_t per = count / parts, extra = count % parts;
    size_t begin = index * per + std::min<size_t>(index, extra);
    return {begin, begin + per + (index < extra ? 1 : 0)};
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
}

void ThreadPool::parallelFor(size_t count, const std::function<void(size_t, size_t)>& fn) {
    if (workers_.empty() || count < 2) {
        if (count) fn(0, count);
        return;
    }
    {
        std::lock_guard lock(mutex_);
        job_ = &fn;
        count_ = count;
        pending_ = static_cast<unsigned>(workers_.size());
        ++generation_;
    }
    wake_.notify_all();
    auto [begin, end] = chunk(count, size(), 0);
    if (begin < end) fn(begin, end);
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
}

void ThreadPool::workerLoop(unsigned index) {
    uint64_t seen = 0;
    for (;;) {
        const std::function<void(size_t, size_t)>* job;
        size_t count;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
            job = job_;
            count = count_;
        }
        auto [begin, end] = chunk(count, size(), index);
        if (begin < end) (*job)(begin, end);
        {
            std::lock_guard lock(mutex_);
            if (--pending_ == 0) done_.notify_one();
        }
    }
}

}  // namespace nibble
