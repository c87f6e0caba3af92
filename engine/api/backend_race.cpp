#include "nibble/backend_race.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

namespace nibble {
namespace {

// Plain prose that no model ends at once, so every racer decodes the full count.
constexpr std::string_view kRacePrompt = "Once upon a time, in a small village by the sea, there lived";
// The first tokens pay for page faults, pipeline creation and cold caches; they are not timed.
constexpr int kWarmUpTokens = 4;
constexpr int kTimedTokens = 16;

// Greedy tokens per second on session, after a warm-up; leaves the session empty.
double decodeSpeed(Session& session) {
    GenerateOptions options;
    options.sampling = SamplingParams::greedy();
    const auto ignore = [](std::string_view) { return true; };
    options.maxTokens = kWarmUpTokens;
    session.complete(kRacePrompt, options, ignore);
    session.reset();
    options.maxTokens = kTimedTokens;
    const GenerationResult timed = session.complete(kRacePrompt, options, ignore);
    session.reset();
    return timed.tokensPerSecond();
}

// Maps a phase's own 0..1 onto [from, to] of the caller's progress, never
// going back: a GPU load reports twice (reading the file, then uploading).
std::function<bool(float)> phase(const std::function<bool(float)>& progress, float from, float to) {
    if (!progress) return {};
    return [progress, from, to, reached = from](float fraction) mutable {
        reached = std::max(reached, from + (to - from) * fraction);
        return progress(reached);
    };
}

void checkCancelled(const std::function<bool(float)>& progress, float at) {
    if (progress && !progress(at)) throw Error(ErrorKind::Cancelled, "loading was cancelled");
}

}  // namespace

BackendRace raceBackends(const std::filesystem::path& path, const LoadOptions& options) {
    BackendRace race;
    LoadOptions gpuOptions = options;
    gpuOptions.backend = BackendKind::Auto;
    gpuOptions.progress = phase(options.progress, 0.0f, 0.6f);
    std::shared_ptr<Model> first = Model::open(path, gpuOptions);
    auto firstSession = std::make_unique<Session>(first);
    if (first->vulkanDevice().empty()) {
        race.model = std::move(first);
        race.session = std::move(firstSession);
        return race;
    }
    race.gpuName = first->vulkanDevice();
    race.gpuTokensPerSecond = decodeSpeed(*firstSession);
    checkCancelled(options.progress, 0.7f);

    LoadOptions cpuOptions = options;
    cpuOptions.backend = BackendKind::Cpu;
    cpuOptions.progress = phase(options.progress, 0.7f, 0.9f);
    std::shared_ptr<Model> cpu = Model::open(path, cpuOptions);
    auto cpuSession = std::make_unique<Session>(cpu);
    race.cpuTokensPerSecond = decodeSpeed(*cpuSession);
    checkCancelled(options.progress, 1.0f);
    spdlog::info("{}: {} decodes {:.1f} tokens/s, the CPU {:.1f}", path.filename().string(), race.gpuName,
                 race.gpuTokensPerSecond, race.cpuTokensPerSecond);
    if (race.gpuWon()) {
        race.model = std::move(first);
        race.session = std::move(firstSession);
    } else {
        race.model = std::move(cpu);
        race.session = std::move(cpuSession);
    }
    return race;
}

}  // namespace nibble
