#include "downloads/transfer_rate.h"

#include <algorithm>
#include <cmath>

namespace nibble::app {
namespace {

// Shorter windows measure the network's bursts, not its speed.
constexpr std::chrono::milliseconds kSampleWindow{250};
// How long the speed takes to follow a lasting change by about two thirds:
// a moment's stall barely moves it, a slower network shows within seconds.
constexpr double kSmoothingSeconds = 5.0;

}  // namespace

std::chrono::milliseconds SteadyClock::now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch());
}

void TransferRate::restart(qint64 totalBytes) {
    markTime_ = clock_.now();
    markBytes_ = totalBytes;
}

void TransferRate::update(qint64 totalBytes) {
    const std::chrono::milliseconds now = clock_.now();
    const auto elapsed = now - markTime_;
    if (elapsed < kSampleWindow) return;
    const double seconds = double(elapsed.count()) / 1000.0;
    const double current = double(totalBytes - markBytes_) / seconds;
    // Weighted by the window's length, so the smoothing is in seconds
    // whatever the rate at which bytes (and calls) arrive; over the first
    // seconds the plain average of all so far, so a slow first window is
    // not remembered for long.
    measuredSeconds_ += seconds;
    const double weight = std::max(1.0 - std::exp(-seconds / kSmoothingSeconds), seconds / measuredSeconds_);
    bytesPerSecond_ += weight * (current - bytesPerSecond_);
    markTime_ = now;
    markBytes_ = totalBytes;
}

void TransferRate::clear() {
    bytesPerSecond_ = 0;
    measuredSeconds_ = 0;
}

}  // namespace nibble::app
