#pragma once
// A fence the host waits on until a submission has finished.
#include "vulkan/device_handle.h"

#include <volk.h>

namespace nibble::vulkan {

class Fence {
public:
    explicit Fence(VkDevice device);

    VkFence handle() const { return fence_.get(); }
    // Waits until signalled, then unsignals it for the next submission.
    // Throws Error(DeviceLost) when the GPU stopped responding.
    void waitAndReset();

private:
    FenceHandle fence_;
};

}  // namespace nibble::vulkan
