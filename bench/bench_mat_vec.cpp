// GPU matrix x vector speed per weight type, printed as JSON lines: GB/s of
// weight bytes read for a 4096 x 4096 matrix (decoding reads each weight once
// per token, so this is what bounds the decode rate). The baseline measured
// in the same run is a plain buffer-copy kernel over as many bytes as the
// largest matrix; fraction_of_copy compares the two.
//
//   bench_mat_vec [--device NAME] [--batch B] [--repeats R] [--size S] [--type T]
//                 [--workgroup W] [--rows-per-workgroup R] [--no-subgroups]
// --type limits the run to one weight type; the layout options override the
// device's defaults (MatVecConfig), for tuning.
#include "nibble/error.h"
#include "tensor/quantize.h"
#include "vulkan/compute_context.h"
#include "vulkan/mat_vec.h"
#include "vulkan/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kCopyGroup = 256;

// CPU seconds of every thread of this process: on a CPU device (lavapipe)
// the work itself, which a busy machine's other processes do not inflate.
double processCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

struct Timing {
    double wall = 1e30;  // seconds
    double cpu = 1e30;   // CPU seconds, all threads
};

// Time one dispatch of the recording takes, best of three; each recording
// holds `repeats` dispatches, so the submission overhead is shared out.
Timing bestTiming(ComputeContext& context, const Recording& recording, uint32_t repeats) {
    context.submit(recording);  // warm-up: first-use costs
    Timing best;
    for (int round = 0; round < 3; ++round) {
        const auto start = Clock::now();
        const double cpuStart = processCpuSeconds();
        context.submit(recording);
        best.cpu = std::min(best.cpu, (processCpuSeconds() - cpuStart) / repeats);
        best.wall = std::min(best.wall, std::chrono::duration<double>(Clock::now() - start).count() / repeats);
    }
    return best;
}

double copyBytesPerSecond(ComputeContext& context, VkDeviceSize bytes, uint32_t repeats) {
    const Buffer src = context.createBuffer(bytes, MemoryKind::DeviceLocal, "copy source");
    const Buffer dst = context.createBuffer(bytes, MemoryKind::DeviceLocal, "copy destination");
    const uint32_t words = uint32_t(bytes / 16);
    const Pipeline& copy = context.pipeline({"copy_words", 2, sizeof(uint32_t), {kCopyGroup}});
    const uint32_t groups = std::min<uint32_t>(groupsFor(words, kCopyGroup),
                                               context.physicalDevice().maxComputeWorkGroupCount[0]);
    CommandRecorder recorder(context);
    recorder.fill(src, 0x3c003c00);
    for (uint32_t i = 0; i < repeats; ++i) recorder.dispatch(copy, {reads(src), writes(dst)}, {groups}, words);
    const Recording recording = recorder.finish();
    return double(bytes) / bestTiming(context, recording, repeats).wall;
}

}  // namespace

int main(int argc, char** argv) {
    std::string device;
    std::string onlyType;
    uint32_t batch = 1, repeats = 10, size = 4096;
    MatVecConfig config;
    for (int i = 1; i < argc; ++i) {
        const bool hasValue = i + 1 < argc;
        if (!std::strcmp(argv[i], "--no-subgroups")) config.subgroups = false;
        else if (!hasValue) batch = 0;
        else if (!std::strcmp(argv[i], "--device")) device = argv[++i];
        else if (!std::strcmp(argv[i], "--batch")) batch = uint32_t(std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--repeats")) repeats = uint32_t(std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--size")) size = uint32_t(std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--type")) onlyType = argv[++i];
        else if (!std::strcmp(argv[i], "--workgroup")) config.workgroupSize = uint32_t(std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--rows-per-workgroup")) config.rowsPerWorkgroup = uint32_t(std::atoi(argv[++i]));
        else batch = 0;
    }
    if (batch == 0 || repeats == 0 || size == 0 || size % 256 != 0) {
        std::fprintf(stderr, "usage: bench_mat_vec [--device NAME] [--batch B] [--repeats R] [--size S (a multiple "
                             "of 256)] [--type T] [--workgroup W] [--rows-per-workgroup R] [--no-subgroups]\n");
        return 2;
    }
    try {
        ComputeContext context(ContextOptions{.device = device});
        const std::string deviceName = context.physicalDevice().name;

        std::mt19937 rng(1);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> row(size);
        std::vector<float> x(size_t(batch) * size);
        for (float& v : x) v = dist(rng);
        const Buffer xb = context.createBuffer(x.size() * 4, MemoryKind::DeviceLocal, "x");
        context.upload(xb, std::as_bytes(std::span(x)));
        const Buffer yb = context.createBuffer(size_t(batch) * size * 4, MemoryKind::DeviceLocal, "y");

        const double copyRate = copyBytesPerSecond(context, VkDeviceSize(size) * size * 4, repeats);
        std::printf("{\"bench\":\"mat_vec\",\"device\":\"%s\",\"kernel\":\"copy\",\"bytes\":%llu,\"gbps\":%.2f}\n",
                    deviceName.c_str(), (unsigned long long)(VkDeviceSize(size) * size * 4), copyRate / 1e9);

        for (const TypeTraits& traits : kGgmlTypes) {
            if (!traits.vulkan) continue;
            const GgmlType type = traits.type;
            if (!onlyType.empty() && onlyType != typeName(type)) continue;
            const size_t rowBytes = quantizedRowBytes(type, size);
            std::vector<uint8_t> weights(rowBytes * size);
            for (uint32_t n = 0; n < size; ++n) {
                for (float& v : row) v = dist(rng);
                quantizeRow(type, row.data(), weights.data() + n * rowBytes, size);
            }
            const Buffer w = context.createBuffer(weights.size(), MemoryKind::DeviceLocal, "the weights");
            context.upload(w, std::as_bytes(std::span(weights)));
            CommandRecorder recorder(context);
            for (uint32_t i = 0; i < repeats; ++i)
                recordMatVec(context, recorder, type, w, 0, size, size, xb, 0, yb, 0, batch, config);
            const Recording recording = recorder.finish();
            const Timing timing = bestTiming(context, recording, repeats);
            const double rate = double(weights.size()) / timing.wall;
            std::printf("{\"bench\":\"mat_vec\",\"device\":\"%s\",\"type\":\"%s\",\"rows\":%u,\"cols\":%u,"
                        "\"batch\":%u,\"weight_bytes\":%zu,\"us\":%.1f,\"cpu_us\":%.1f,\"gbps\":%.2f,"
                        "\"fraction_of_copy\":%.3f}\n",
                        deviceName.c_str(), std::string(typeName(type)).c_str(), size, size, batch,
                        weights.size(), timing.wall * 1e6, timing.cpu * 1e6, rate / 1e9, rate / copyRate);
            std::fflush(stdout);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_mat_vec: %s\n", e.what());
        return 1;
    }
    return 0;
}
