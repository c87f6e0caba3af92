// Prefill and decode speed of the real models, and of synthetic models of a
// real model's shape (synthetic_model.h), on one backend, printed as JSON
// lines. The baseline measured in the same run is the machine's memory read
// bandwidth: decoding reads every weight once per token, so
// bandwidth / weight bytes is the best decode rate possible on the CPU, and
// decode_fraction_of_bandwidth_limit says how close we come. For a GPU, the
// implied bandwidth (weight bytes per token x decode tokens/s) compares with
// its copy bandwidth (bench_mat_vec) or data sheet; --cpu-baseline runs the
// CPU backend on the same model in the same run. prefill_ and
// decode_tokens_per_cpu_second divide by this process's CPU time instead of
// the wall clock: with one thread (taskset -c 0) they hold on a busy machine.
//
//   bench_inference [--backend cpu|reference|vulkan] [--device NAME] [--prompt-tokens N] [--decode-tokens N]
//                   [--synthetic llama-1b|llama-8b|tiny --type Q4_0|Q4_K|Q8_0 [--dir DIR]]
//                   [--kv-cache f32|f16] [--cpu-baseline] [MODEL...]
#include "api/model_access.h"
#include "nibble/engine.h"
#include "nibble/error.h"
#include "nibble/memory_bandwidth.h"
#include "synthetic_model.h"
#include "vulkan/vulkan_transformer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double processCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

std::vector<std::filesystem::path> defaultModels() {
    std::vector<std::filesystem::path> dirs;
    if (const char* env = std::getenv("NIBBLE_TEST_MODELS")) dirs.emplace_back(env);
    if (const char* env = std::getenv("NIBBLE_MODEL_CACHE")) dirs.emplace_back(env);
    else if (const char* home = std::getenv("HOME")) dirs.emplace_back(std::filesystem::path(home) / ".cache/nibble/test-models");
    dirs.emplace_back(std::filesystem::path(NIBBLE_SOURCE_DIR) / "../shared/models");
    std::vector<std::filesystem::path> found;
    for (const char* name : {"stories260K.gguf", "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma-3-270m-q4_k_m.gguf"})
        for (const auto& dir : dirs)
            if (std::filesystem::is_regular_file(dir / name)) {
                found.push_back(dir / name);
                break;
            }
    return found;
}

// Bytes of weights one decoded token reads: every layer's matrices and
// vectors, the final norm and the output matrix (the embedding gives one row).
uint64_t weightBytesPerToken(const nibble::ModelWeights& w) {
    uint64_t bytes = w.outputNorm->byteSize + w.output->byteSize;
    for (const nibble::LayerWeights& L : w.layers)
        for (const nibble::Tensor* t : {L.attnNorm, L.wq, L.wk, L.wv, L.wo, L.bq, L.bk, L.bv, L.qNorm, L.kNorm,
                                        L.postAttnNorm, L.ffnNorm, L.gate, L.up, L.down, L.postFfnNorm})
            if (t) bytes += t->byteSize;
    return bytes;
}

struct Options {
    nibble::BackendKind backend = nibble::BackendKind::Cpu;
    std::string device;
    int promptTokens = 128, decodeTokens = 64;
    nibble::KvCacheType kvCache = nibble::KvCacheType::F32;
};

const char* backendName(nibble::BackendKind backend) {
    return backend == nibble::BackendKind::Vulkan ? "vulkan" : backend == nibble::BackendKind::Reference ? "reference" : "cpu";
}

void benchmark(const std::filesystem::path& path, const Options& o, double bandwidth) {
    nibble::LoadOptions options;
    options.backend = o.backend;
    options.device = o.device;
    options.contextLength = uint32_t(o.promptTokens + o.decodeTokens + 8);
    options.kvCache = o.kvCache;
    auto model = nibble::Model::open(path, options);
    // A prompt of exactly promptTokens tokens: repeat a sentence and cut.
    std::vector<int32_t> sentence = model->tokenize(" The little robot walked to the market to buy apples.", false);
    std::vector<int32_t> prompt;
    while (int(prompt.size()) < o.promptTokens) prompt.insert(prompt.end(), sentence.begin(), sentence.end());
    prompt.resize(size_t(o.promptTokens));
    const std::string text = model->detokenize(prompt);

    nibble::Session session(model);
    nibble::GenerateOptions g;
    g.sampling = nibble::SamplingParams::greedy();
    g.maxTokens = o.decodeTokens;
    g.stop = {};
    // The model may end its text early; decode speed counts what it generated.
    // Process CPU time per phase as well: on a shared machine other
    // processes stretch the wall clock, not this process's CPU time, so with
    // one thread (taskset -c 0) the CPU rates compare runs across loads.
    // (With more threads they count the workers' waiting spins too.)
    const double cpuStart = processCpuSeconds();
    double cpuFirstToken = 0;
    nibble::GenerationResult r = session.complete(text, g, [&](std::string_view) {
        if (cpuFirstToken == 0) cpuFirstToken = processCpuSeconds();
        return true;
    });
    const double cpuEnd = processCpuSeconds();
    const double prefillCpu = cpuFirstToken - cpuStart, decodeCpu = cpuEnd - cpuFirstToken;
    const nibble::ModelImpl& impl = nibble::modelImpl(*model);
    const double weightBytes = double(weightBytesPerToken(impl.weights));
    const double limit = bandwidth / weightBytes;
    // What the Vulkan backend allocates on the device: weights, KV cache, activations.
    const double deviceBytes =
        o.backend == nibble::BackendKind::Vulkan
            ? double(nibble::vulkan::VulkanTransformer::requiredBytes(impl.config, impl.weights, int(options.contextLength)))
            : 0.0;
    std::printf("{\"model\":\"%s\",\"backend\":\"%s\",\"device\":\"%s\",\"file_type\":\"%s\",\"file_bytes\":%.0f,"
                "\"prompt_tokens\":%d,\"prefill_tokens_per_second\":%.2f,\"time_to_first_token_s\":%.4f,"
                "\"decode_tokens\":%d,\"decode_tokens_per_second\":%.2f,\"weight_bytes_per_token\":%.0f,"
                "\"implied_bandwidth_bytes_per_second\":%.0f,\"device_memory_bytes\":%.0f,"
                "\"decode_cpu_bandwidth_limit_tokens_per_second\":%.2f,\"decode_fraction_of_cpu_bandwidth_limit\":%.4f,"
                "\"prefill_tokens_per_cpu_second\":%.2f,\"decode_tokens_per_cpu_second\":%.2f}\n",
                path.filename().c_str(), backendName(o.backend), model->backendDescription().c_str(),
                model->info().fileType.c_str(), double(model->info().fileSize), r.promptTokens,
                r.promptTokensPerSecond(), r.promptSeconds, r.generatedTokens, r.tokensPerSecond(), weightBytes,
                weightBytes * r.tokensPerSecond(), deviceBytes, limit, r.tokensPerSecond() / limit,
                prefillCpu > 0 ? r.promptTokens / prefillCpu : 0.0,
                decodeCpu > 0 && r.generatedTokens > 1 ? (r.generatedTokens - 1) / decodeCpu : 0.0);
    std::fflush(stdout);
}

// The synthetic model's file in dir, written unless a previous run left it there.
std::filesystem::path syntheticModel(const std::string& shapeName, const std::string& typeName,
                                     const std::filesystem::path& dir) {
    const auto shape = nibble::bench::syntheticShape(shapeName);
    const auto type = nibble::bench::syntheticWeightType(typeName);
    if (!shape || !type)
        throw nibble::Error(nibble::ErrorKind::InvalidArgument,
                            "--synthetic takes llama-1b, llama-8b or tiny and --type Q4_0, Q4_K or Q8_0");
    const std::filesystem::path path = dir / ("synthetic-" + shapeName + "-" + typeName + ".gguf");
    if (!std::filesystem::exists(path)) {
        std::filesystem::create_directories(dir);
        const auto start = Clock::now();
        nibble::bench::writeSyntheticModel(*shape, *type, path);
        std::fprintf(stderr, "bench_inference: wrote %s in %.1f s\n", path.c_str(),
                     std::chrono::duration<double>(Clock::now() - start).count());
    }
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    bool cpuBaseline = false;
    std::string synthetic, type = "Q4_0";
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "nibble-bench";
    std::vector<std::filesystem::path> models;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--backend" && hasValue) {
            const std::string b = argv[++i];
            o.backend = b == "vulkan"      ? nibble::BackendKind::Vulkan
                        : b == "reference" ? nibble::BackendKind::Reference
                                           : nibble::BackendKind::Cpu;
        }
        else if (a == "--device" && hasValue) o.device = argv[++i];
        else if (a == "--prompt-tokens" && hasValue) o.promptTokens = std::atoi(argv[++i]);
        else if (a == "--decode-tokens" && hasValue) o.decodeTokens = std::atoi(argv[++i]);
        else if (a == "--synthetic" && hasValue) synthetic = argv[++i];
        else if (a == "--type" && hasValue) type = argv[++i];
        else if (a == "--dir" && hasValue) dir = argv[++i];
        else if (a == "--kv-cache" && hasValue)
            o.kvCache = std::string(argv[++i]) == "f16" ? nibble::KvCacheType::F16 : nibble::KvCacheType::F32;
        else if (a == "--cpu-baseline") cpuBaseline = true;
        else models.emplace_back(a);
    }
    try {
        if (!synthetic.empty()) models.push_back(syntheticModel(synthetic, type, dir));
    } catch (const nibble::Error& e) {
        std::fprintf(stderr, "bench_inference: %s\n", e.what());
        return 2;
    }
    if (models.empty()) models = defaultModels();
    const double bandwidth = nibble::measureMemoryReadBandwidth(size_t(1) << 30, 0, 5);
    std::printf("{\"baseline\":\"memory_read\",\"bytes_per_second\":%.0f,\"threads\":%u}\n", bandwidth,
                std::thread::hardware_concurrency());
    std::vector<nibble::BackendKind> backends = {o.backend};
    if (cpuBaseline && o.backend != nibble::BackendKind::Cpu) backends.push_back(nibble::BackendKind::Cpu);
    for (const auto& path : models) {
        for (nibble::BackendKind backend : backends) {
            Options run = o;
            run.backend = backend;
            try {
                benchmark(path, run, bandwidth);
            } catch (const nibble::Error& e) {
                std::printf("{\"model\":\"%s\",\"backend\":\"%s\",\"error\":\"%s\"}\n", path.filename().c_str(),
                            backendName(backend), e.what());
                std::fflush(stdout);
            }
        }
    }
    return 0;
}
