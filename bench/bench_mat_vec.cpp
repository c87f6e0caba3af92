// GPU matrix x vector speed per weight type, printed as JSON lines: GB/s of
// weight bytes read for a 4096 x 4096 matrix (decoding reads each weight once
// per token, so this is what bounds the decode rate). The baseline measured
// in the same run is a plain buffer-copy kernel over as many bytes as the
// largest matrix; fraction_of_copy compares the two.
//
//   bench_mat_vec [--device NAME] [--batch B] [--repeats R]
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
#include <random>
#include <string>
#include <vector>

using namespace nibble;
using namespace nibble::vulkan;

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint32_t kSize = 4096;
constexpr uint32_t kCopyGroup = 256;

// Seconds one run of the recording takes, best of three; each recording
// holds `repeats` dispatches, so the submission overhead is shared out.
double bestSeconds(ComputeContext& context, const Recording& recording, uint32_t repeats) {
    context.submit(recording);  // warm-up: first-use costs
    double best = 1e30;
    for (int round = 0; round < 3; ++round) {
        const auto start = Clock::now();
        context.submit(recording);
        best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
    }
    return best / repeats;
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
    return double(bytes) / bestSeconds(context, recording, repeats);
}

}  // namespace

int main(int argc, char** argv) {
    std::string device;
    uint32_t batch = 1, repeats = 10;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
        else if (!std::strcmp(argv[i], "--batch")) batch = uint32_t(std::atoi(argv[i + 1]));
        else if (!std::strcmp(argv[i], "--repeats")) repeats = uint32_t(std::atoi(argv[i + 1]));
    }
    if (batch == 0 || repeats == 0) {
        std::fprintf(stderr, "usage: bench_mat_vec [--device NAME] [--batch B] [--repeats R]\n");
        return 2;
    }
    try {
        ComputeContext context(ContextOptions{.device = device});
        const std::string deviceName = context.physicalDevice().name;

        std::mt19937 rng(1);
        std::normal_distribution<float> dist(0.0f, 1.0f);
        std::vector<float> row(kSize);
        std::vector<float> x(size_t(batch) * kSize);
        for (float& v : x) v = dist(rng);
        const Buffer xb = context.createBuffer(x.size() * 4, MemoryKind::DeviceLocal, "x");
        context.upload(xb, std::as_bytes(std::span(x)));
        const Buffer yb = context.createBuffer(size_t(batch) * kSize * 4, MemoryKind::DeviceLocal, "y");

        const double copyRate = copyBytesPerSecond(context, VkDeviceSize(kSize) * kSize * 4, repeats);
        std::printf("{\"bench\":\"mat_vec\",\"device\":\"%s\",\"kernel\":\"copy\",\"bytes\":%llu,\"gbps\":%.2f}\n",
                    deviceName.c_str(), (unsigned long long)(VkDeviceSize(kSize) * kSize * 4), copyRate / 1e9);

        for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1,
                              GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K,
                              GgmlType::Q6_K}) {
            const size_t rowBytes = quantizedRowBytes(type, kSize);
            std::vector<uint8_t> weights(rowBytes * kSize);
            for (uint32_t n = 0; n < kSize; ++n) {
                for (float& v : row) v = dist(rng);
                quantizeRow(type, row.data(), weights.data() + n * rowBytes, kSize);
            }
            const Buffer w = context.createBuffer(weights.size(), MemoryKind::DeviceLocal, "the weights");
            context.upload(w, std::as_bytes(std::span(weights)));
            CommandRecorder recorder(context);
            for (uint32_t i = 0; i < repeats; ++i)
                recordMatVec(context, recorder, type, w, 0, kSize, kSize, xb, 0, yb, 0, batch);
            const Recording recording = recorder.finish();
            const double seconds = bestSeconds(context, recording, repeats);
            const double rate = double(weights.size()) / seconds;
            std::printf("{\"bench\":\"mat_vec\",\"device\":\"%s\",\"type\":\"%s\",\"rows\":%u,\"cols\":%u,"
                        "\"batch\":%u,\"weight_bytes\":%zu,\"us\":%.1f,\"gbps\":%.2f,\"fraction_of_copy\":%.3f}\n",
                        deviceName.c_str(), std::string(typeName(type)).c_str(), kSize, kSize, batch,
                        weights.size(), seconds * 1e6, rate / 1e9, rate / copyRate);
            std::fflush(stdout);
        }
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_mat_vec: %s\n", e.what());
        return 1;
    }
    return 0;
}
