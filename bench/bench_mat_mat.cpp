// GPU matrix x matrix speed (prompt processing) per weight type and batch,
// printed as JSON lines: the tiled kernel (recordMatMat) against the matrix x
// vector kernel's batched passes (recordMatVec) on the same operands in the
// same run, the baseline it replaces above kMatMatMinBatch. Times are the
// median of five runs, wall clock and this process's CPU time (on a CPU
// device such as lavapipe the CPU time is the work itself, which other
// processes on a busy machine do not inflate).
//
//   bench_mat_mat [--device NAME] [--size S] [--type T] [--repeats R]
#include "nibble/error.h"
#include "tensor/quantize.h"
#include "vulkan/compute_context.h"
#include "vulkan/mat_mat.h"
#include "vulkan/mat_vec.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;

namespace {

struct Seconds {
    double wall;
    double cpu;
};

Seconds now() {
    timespec cpu{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    return {std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(),
            double(cpu.tv_sec) + double(cpu.tv_nsec) * 1e-9};
}

// Median seconds of one product, over five runs of a recording of `repeats`.
Seconds medianSeconds(ComputeContext& context, uint32_t repeats, const std::function<void(CommandRecorder&)>& record) {
    CommandRecorder recorder(context);
    for (uint32_t i = 0; i < repeats; ++i) record(recorder);
    const Recording recording = recorder.finish();
    context.submit(recording);  // warm-up: first-use costs
    std::array<double, 5> wall{}, cpu{};
    for (size_t run = 0; run < wall.size(); ++run) {
        const Seconds start = now();
        context.submit(recording);
        const Seconds end = now();
        wall[run] = (end.wall - start.wall) / repeats;
        cpu[run] = (end.cpu - start.cpu) / repeats;
    }
    std::sort(wall.begin(), wall.end());
    std::sort(cpu.begin(), cpu.end());
    return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace

int main(int argc, char** argv) {
    std::string device, onlyType;
    uint32_t size = 2048, repeats = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
        else if (!std::strcmp(argv[i], "--size")) size = uint32_t(std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--type")) onlyType = argv[i + 1];
        else if (!std::strcmp(argv[i], "--repeats")) repeats = uint32_t(std::atoi(argv[i + 1]));
    }
    if (size == 0 || size % 256 != 0 || repeats == 0) {
        std::fprintf(stderr, "usage: bench_mat_mat [--device NAME] [--size S (a multiple of 256)] [--type T] [--repeats R]\n");
        return 2;
    }
    constexpr uint32_t kMaxBatch = 64;
    try {
        ComputeContext context(ContextOptions{.device = device});
        const std::string deviceName = context.physicalDevice().name;

        std::mt19937 rng(1);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> x(size_t(kMaxBatch) * size), row(size);
        for (float& v : x) v = dist(rng);
        const Buffer xb = context.createBuffer(x.size() * 4, MemoryKind::DeviceLocal, "x");
        context.upload(xb, std::as_bytes(std::span(x)));
        const Buffer yb = context.createBuffer(size_t(kMaxBatch) * size * 4, MemoryKind::DeviceLocal, "y");

        for (const TypeTraits& traits : kGgmlTypes) {
            if (!traits.vulkan) continue;
            const GgmlType type = traits.type;
            const std::string name(typeName(type));
            if (!onlyType.empty() && onlyType != name) continue;
            const size_t rowBytes = quantizedRowBytes(type, size);
            std::vector<uint8_t> weights(rowBytes * size);
            for (uint32_t n = 0; n < size; ++n) {
                for (float& v : row) v = dist(rng);
                quantizeRow(type, row.data(), weights.data() + n * rowBytes, size);
            }
            const Buffer w = context.createBuffer((weights.size() + 3) / 4 * 4, MemoryKind::DeviceLocal, "the weights");
            context.upload(w, std::as_bytes(std::span(weights)));

            for (const uint32_t batch : {4u, 8u, 16u, 32u, 64u}) {
                const Seconds vec = medianSeconds(context, repeats, [&](CommandRecorder& recorder) {
                    recordMatVec(context, recorder, type, w, 0, size, size, xb, 0, yb, 0, batch);
                });
                const Seconds mm = medianSeconds(context, repeats, [&](CommandRecorder& recorder) {
                    recordMatMat(context, recorder, type, w, 0, size, size, xb, 0, yb, 0, batch);
                });
                const double flops = 2.0 * size * size * batch;
                std::printf("{\"bench\":\"mat_mat\",\"device\":\"%s\",\"type\":\"%s\",\"K\":%u,\"N\":%u,\"batch\":%u,"
                            "\"mat_vec_us\":%.1f,\"mat_vec_cpu_us\":%.1f,\"mat_mat_us\":%.1f,\"mat_mat_cpu_us\":%.1f,"
                            "\"mat_mat_gflops\":%.2f,\"speedup\":%.2f,\"cpu_speedup\":%.2f}\n",
                            deviceName.c_str(), name.c_str(), size, size, batch, vec.wall * 1e6, vec.cpu * 1e6,
                            mm.wall * 1e6, mm.cpu * 1e6, flops / mm.wall / 1e9, vec.wall / mm.wall, vec.cpu / mm.cpu);
                std::fflush(stdout);
            }
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_mat_mat: %s\n", e.what());
        return 1;
    }
    return 0;
}
