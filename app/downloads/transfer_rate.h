#pragma once
// A download's speed as the downloads list shows it: bytes over time,
// smoothed so that one slow or fast moment (a stall, a burst from a buffer)
// does not make the speed and the time left jump about. The clock is passed
// in, so tests can say exactly when each byte arrived.
#include <QtGlobal>

#include <chrono>

namespace nibble::app {

class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::milliseconds now() const = 0;
};

// std::chrono::steady_clock: never goes back when the wall clock is set.
class SteadyClock final : public Clock {
public:
    std::chrono::milliseconds now() const override;
};

class TransferRate {
public:
    explicit TransferRate(const Clock& clock) : clock_(clock) {}

    // Measures from here, with totalBytes already in; the speed so far is kept
    // (a resumed connection is usually as fast as the one before).
    void restart(qint64 totalBytes);
    // totalBytes are in now.
    void update(qint64 totalBytes);
    // Forgets the speed (paused, finished, cancelled).
    void clear();
    // 0 until a first sample window has passed.
    double bytesPerSecond() const { return bytesPerSecond_; }

private:
    const Clock& clock_;
    std::chrono::milliseconds markTime_{0};
    qint64 markBytes_ = 0;
    double measuredSeconds_ = 0;
    double bytesPerSecond_ = 0;
};

}  // namespace nibble::app
