// CPU matrix product speed per weight type, printed as JSON lines: the fast
// path's integer kernels (cpu/fast_matmul.h, refined inputs as the engine
// uses them) against the exact reference product (cpu::matmul: weights
// decoded to f32, float dot products), measured in the same run on the same
// random rows. batch 1 is a decoded token's matrix x vector, a larger batch a
// prompt's matrix x matrix. Figures are per CPU second of this process, so a
// busy machine's other work does not inflate them; run with one thread
// (taskset -c 0) to compare kernels.
//
//   bench_cpu_matmul [--type T] [--k K] [--rows N] [--batch B] [--threads T] [--isa NAME]
#include "cpu/cpu_ops.h"
#include "cpu/fast_matmul.h"
#include "cpu/kernels.h"
#include "cpu/thread_pool.h"
#include "kernel_checks.h"
#include "random_blocks.h"
#include "tensor/ggml_type.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace nibble;
using namespace nibble::cpu;

namespace {

double processCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

// CPU seconds one call takes: best of five rounds, each as many calls as
// fill about 0.2 s, after one warm-up call.
double cpuSecondsPerCall(const std::function<void()>& call) {
    call();
    const double start = processCpuSeconds();
    call();
    const double once = std::max(processCpuSeconds() - start, 1e-6);
    const int calls = std::max(1, int(0.2 / once));
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {
        const double t0 = processCpuSeconds();
        for (int i = 0; i < calls; ++i) call();
        best = std::min(best, (processCpuSeconds() - t0) / calls);
    }
    return best;
}

struct Options {
    std::string type;  // empty: every matrix type
    int64_t k = 2048;
    int rows = 2048;
    int batch = 1;
    unsigned threads = 1;
    std::string isa;  // empty: the widest this processor runs
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--type" && hasValue) o.type = argv[++i];
        else if (arg == "--k" && hasValue) o.k = std::atoll(argv[++i]);
        else if (arg == "--rows" && hasValue) o.rows = std::atoi(argv[++i]);
        else if (arg == "--batch" && hasValue) o.batch = std::atoi(argv[++i]);
        else if (arg == "--threads" && hasValue) o.threads = unsigned(std::atoi(argv[++i]));
        else if (arg == "--isa" && hasValue) o.isa = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: bench_cpu_matmul [--type T] [--k K] [--rows N] [--batch B] [--threads T] [--isa NAME]\n");
            std::exit(2);
        }
    }
    // Every type's blocks are 32 or 256 weights.
    o.k = std::max<int64_t>(256, o.k / 256 * 256);
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    Isa isa = preferredIsa();
    if (!options.isa.empty()) {
        const auto named = isaNamed(options.isa);
        if (!named || std::find(supportedIsas().begin(), supportedIsas().end(), *named) == supportedIsas().end()) {
            std::fprintf(stderr, "this processor does not run the %s kernels\n", options.isa.c_str());
            return 2;
        }
        isa = *named;
    }
    const KernelTable& table = kernelTable(isa);
    ThreadPool pool(options.threads);
    FastMatmul fast(table);
    bool any = false;
    for (GgmlType type : test::kMatrixTypes) {
        if (!options.type.empty() && options.type != typeName(type)) continue;
        any = true;
        std::mt19937 rng(uint32_t(type) + 1);
        std::vector<uint8_t> weights;
        for (int r = 0; r < options.rows; ++r) {
            const std::vector<uint8_t> row = test::randomRow(type, options.k, rng);
            weights.insert(weights.end(), row.begin(), row.end());
        }
        Tensor w;
        w.name = "bench.weight";
        w.shape = {uint64_t(options.k), uint64_t(options.rows)};
        w.type = type;
        w.byteSize = weights.size();
        w.data = weights.data();
        const std::vector<float> x = test::randomFloats(rng, size_t(options.batch) * size_t(options.k), 1.0f);
        std::vector<float> y(size_t(options.batch) * size_t(options.rows));
        const double exact = cpuSecondsPerCall([&] { matmul(pool, w, x.data(), options.batch, y.data()); });
        const double integer = cpuSecondsPerCall(
            [&] { fast.multiply(pool, w, x.data(), options.batch, y.data(), InputPrecision::Refined); });
        const double bytes = double(weights.size());
        const bool hasKernel = table.weights[static_cast<int>(type)].dot != nullptr;
        std::printf("{\"bench\":\"cpu_matmul\",\"isa\":\"%s\",\"type\":\"%s\",\"k\":%lld,\"rows\":%d,\"batch\":%d,"
                    "\"threads\":%u,\"fast_kernel\":%s,\"bits_per_weight\":%.3f,"
                    "\"exact_weight_gb_per_cpu_s\":%.3f,\"fast_weight_gb_per_cpu_s\":%.3f,\"speedup_over_exact\":%.2f}\n",
                    std::string(isaName(isa)).c_str(), std::string(typeName(type)).c_str(),
                    static_cast<long long>(options.k), options.rows, options.batch, options.threads,
                    hasKernel ? "true" : "false", bytes * 8 / (double(options.k) * options.rows), bytes / exact * 1e-9,
                    bytes / integer * 1e-9, exact / integer);
        std::fflush(stdout);
    }
    if (!any) {
        std::fprintf(stderr, "unknown weight type %s\n", options.type.c_str());
        return 2;
    }
    return 0;
}
