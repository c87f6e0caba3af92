// devices: what Vulkan sees on this machine and which device Nibble picks.
#include "cli_args.h"
#include "commands.h"

#include "nibble/engine.h"

#include <cstdio>

namespace nibble::cli {

int devicesCommand(const Argv& argv) {
    Args args(argv, {"device"}, {});
    for (const DeviceInfo& d : listDevices(args.value("device").value_or(""))) {
        std::printf("%s [%u] %s\n", d.selected ? "*" : " ", d.index, d.name.c_str());
        std::printf("    type %s, driver %s, Vulkan %s\n", d.type.c_str(), d.driver.c_str(), d.apiVersion.c_str());
        std::printf("    device memory %.1f GiB, subgroup %u, max buffer %.1f GiB, max allocation %.1f GiB\n",
                    double(d.deviceLocalBytes) / (1 << 30), d.subgroupSize, double(d.maxStorageBufferRange) / (1 << 30),
                    double(d.maxMemoryAllocationSize) / (1 << 30));
        std::printf("    fp16 %s, int8 %s, integer dot product %s, cooperative matrix %s\n", d.fp16 ? "yes" : "no",
                    d.int8 ? "yes" : "no", d.integerDotProduct ? "yes" : "no", d.cooperativeMatrix ? "yes" : "no");
        if (d.selected) std::printf("    selected: %s\n", d.selectionReason.c_str());
    }
    return 0;
}

}  // namespace nibble::cli
