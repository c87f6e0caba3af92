// How fast the quantizers run: seconds per billion weights for each recipe on
// a real model, printed as JSON lines. The baseline, measured in the same run,
// is the F16 recipe: the same read-convert-write path with no rounding search,
// so each ratio says what a recipe's search costs on top of moving the data.
//
//   bench_quantize [MODEL]   (default: the packaged SmolLM2-135M-Instruct Q4_1)
#include "nibble/quantize.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>

int main(int argc, char** argv) {
    std::filesystem::path model;
    if (argc > 1) {
        model = argv[1];
    } else {
        const char* cache = std::getenv("NIBBLE_MODEL_CACHE");
        const char* home = std::getenv("HOME");
        model = cache ? std::filesystem::path(cache) : std::filesystem::path(home ? home : ".") / ".cache/nibble/test-models";
        model /= "SmolLM2-135M-Instruct.Q4_1.gguf";
    }
    const std::filesystem::path out = std::filesystem::temp_directory_path() / ("bench_quantize_" + std::to_string(::getpid()) + ".gguf");
    double baseline = 0;
    struct Run {
        const char* recipe;
        const char* method;
        bool calibrate = false, compensate = false, channelScales = false;
    };
    const Run runs[] = {{"F16", "plain"},
                        {"Q8_0", "plain"},
                        {"Q4_0", "plain"},
                        {"Q4_K_M", "plain"},
                        {"Q4_0", "importance-aware", true},
                        {"Q4_0", "error-compensated", true, true},
                        {"Q4_0", "error-compensated with channel scales", true, true, true}};
    for (const Run& run : runs) {
        try {
            nibble::QuantizeOptions options;
            options.recipe = run.recipe;
            options.calibrate = run.calibrate;
            options.compensate = run.compensate;
            options.channelScales = run.channelScales;
            const nibble::QuantizeResult r = nibble::quantizeModel(model, out, options);
            const double perBillion = r.seconds / (double(r.parameterCount) / 1e9);
            if (baseline == 0) baseline = perBillion;
            std::printf("{\"model\":\"%s\",\"recipe\":\"%s\",\"method\":\"%s\",\"threads\":%u,\"weights\":%llu,\"seconds\":%.3f,"
                        "\"seconds_per_billion_weights\":%.2f,\"ratio_to_f16_baseline\":%.2f,\"output_bytes\":%llu}\n",
                        model.filename().c_str(), run.recipe, run.method,
                        std::thread::hardware_concurrency(), static_cast<unsigned long long>(r.parameterCount), r.seconds,
                        perBillion, perBillion / baseline, static_cast<unsigned long long>(r.outputBytes));
            std::fflush(stdout);
        } catch (const nibble::Error& e) {
            std::printf("{\"model\":\"%s\",\"recipe\":\"%s\",\"error\":\"%s\"}\n", model.filename().c_str(), run.recipe, e.what());
        }
    }
    std::error_code ignored;
    std::filesystem::remove(out, ignored);
    return 0;
}
