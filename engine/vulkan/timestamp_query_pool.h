#pragma once
// GPU timestamps for profiling: a query pool of `capacity` timestamps whose
// ticks turn into nanoseconds with the device's timestampPeriod.
#include "vulkan/device_handle.h"

#include <volk.h>

#include <cstdint>
#include <vector>

namespace nibble::vulkan {

class TimestampQueryPool {
public:
    TimestampQueryPool(VkDevice device, uint32_t capacity, float nanosecondsPerTick);

    VkQueryPool handle() const { return pool_.get(); }
    uint32_t capacity() const { return capacity_; }
    // The first `count` timestamps in nanoseconds after the first one; waits
    // for them to be written.
    std::vector<double> read(uint32_t count) const;

private:
    QueryPoolHandle pool_;
    uint32_t capacity_;
    float nanosecondsPerTick_;
};

}  // namespace nibble::vulkan
