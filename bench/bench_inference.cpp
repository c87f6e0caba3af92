// Prefill and decode speed of the real models on one backend, printed as JSON
// lines. The baseline measured in the same run is the machine's memory read
// bandwidth: decoding reads every weight once per token, so
// bandwidth / weight bytes is the best decode rate possible, and
// decode_fraction_of_bandwidth_limit says how close we come.
//
//   bench_inference [--backend cpu|vulkan] [--prompt-tokens N] [--decode-tokens N] [MODEL...]
#include "nibble/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Bytes per second that all cores together read from memory, best of three.
double memoryReadBandwidth() {
    const size_t bytes = size_t(512) << 20;
    std::vector<uint64_t> data(bytes / sizeof(uint64_t), 1);
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    double best = 0;
    for (int round = 0; round < 3; ++round) {
        std::vector<uint64_t> sums(threads);
        const auto start = Clock::now();
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const size_t per = data.size() / threads;
                sums[t] = std::accumulate(data.begin() + t * per, data.begin() + (t + 1) * per, uint64_t(0));
            });
        for (auto& th : pool) th.join();
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        if (std::accumulate(sums.begin(), sums.end(), uint64_t(0)) == 0) std::abort();
        best = std::max(best, double(bytes) / seconds);
    }
    return best;
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

}  // namespace

int main(int argc, char** argv) {
    nibble::BackendKind backend = nibble::BackendKind::Cpu;
    int promptTokens = 128, decodeTokens = 64;
    std::vector<std::filesystem::path> models;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--backend" && i + 1 < argc) backend = std::string(argv[++i]) == "vulkan" ? nibble::BackendKind::Vulkan : nibble::BackendKind::Cpu;
        else if (a == "--prompt-tokens" && i + 1 < argc) promptTokens = std::atoi(argv[++i]);
        else if (a == "--decode-tokens" && i + 1 < argc) decodeTokens = std::atoi(argv[++i]);
        else models.emplace_back(a);
    }
    if (models.empty()) models = defaultModels();
    const double bandwidth = memoryReadBandwidth();
    std::printf("{\"baseline\":\"memory_read\",\"bytes_per_second\":%.0f,\"threads\":%u}\n", bandwidth,
                std::thread::hardware_concurrency());
    for (const auto& path : models) {
        try {
            nibble::LoadOptions options;
            options.backend = backend;
            options.contextLength = uint32_t(promptTokens + decodeTokens + 8);
            auto model = nibble::Model::open(path, options);
            // A prompt of exactly promptTokens tokens: repeat a sentence and cut.
            std::vector<int32_t> sentence = model->tokenize(" The little robot walked to the market to buy apples.", false);
            std::vector<int32_t> prompt;
            while (int(prompt.size()) < promptTokens) prompt.insert(prompt.end(), sentence.begin(), sentence.end());
            prompt.resize(size_t(promptTokens));
            const std::string text = model->detokenize(prompt);

            nibble::Session session(model);
            nibble::GenerateOptions g;
            g.sampling = nibble::SamplingParams::greedy();
            g.maxTokens = decodeTokens;
            g.stop = {};
            // The model may end its text early; decode speed counts what it generated.
            nibble::GenerationResult r = session.complete(text, g, {});
            const double weightBytes = double(model->info().fileSize);
            const double limit = bandwidth / weightBytes;
            std::printf("{\"model\":\"%s\",\"backend\":\"%s\",\"file_type\":\"%s\",\"file_bytes\":%.0f,"
                        "\"prompt_tokens\":%d,\"prefill_tokens_per_second\":%.2f,\"time_to_first_token_s\":%.4f,"
                        "\"decode_tokens\":%d,\"decode_tokens_per_second\":%.2f,"
                        "\"decode_bandwidth_limit_tokens_per_second\":%.2f,\"decode_fraction_of_bandwidth_limit\":%.4f}\n",
                        path.filename().c_str(), model->backendDescription().c_str(), model->info().fileType.c_str(),
                        weightBytes, r.promptTokens, r.promptTokensPerSecond(), r.promptSeconds, r.generatedTokens,
                        r.tokensPerSecond(), limit, r.tokensPerSecond() / limit);
            std::fflush(stdout);
        } catch (const nibble::Error& e) {
            std::printf("{\"model\":\"%s\",\"error\":\"%s\"}\n", path.filename().c_str(), e.what());
        }
    }
    return 0;
}
