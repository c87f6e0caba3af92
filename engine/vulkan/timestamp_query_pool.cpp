#include "vulkan/timestamp_query_pool.h"

#include "vulkan/vk_check.h"

namespace nibble::vulkan {

TimestampQueryPool::TimestampQueryPool(VkDevice device, uint32_t capacity, float nanosecondsPerTick)
    : capacity_(capacity), nanosecondsPerTick_(nanosecondsPerTick) {
    VkQueryPoolCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO;
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    info.queryCount = capacity;
    VkQueryPool pool = VK_NULL_HANDLE;
    check(vkCreateQueryPool(device, &info, nullptr, &pool), "Creating a timestamp query pool");
    pool_ = QueryPoolHandle(device, pool);
}

std::vector<double> TimestampQueryPool::read(uint32_t count) const {
    if (count == 0) return {};
    std::vector<uint64_t> ticks(count);
    check(vkGetQueryPoolResults(pool_.device(), pool_.get(), 0, count, ticks.size() * sizeof(uint64_t), ticks.data(),
                                sizeof(uint64_t), VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT),
          "Reading GPU timestamps");
    std::vector<double> nanoseconds(count);
    for (uint32_t i = 0; i < count; ++i)
        nanoseconds[i] = static_cast<double>(ticks[i] - ticks[0]) * nanosecondsPerTick_;
    return nanoseconds;
}

}  // namespace nibble::vulkan
