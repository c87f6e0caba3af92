#pragma once
// Which of this machine's backends runs a model faster, found by running it.
//
//   nibble::BackendRace race = nibble::raceBackends("model.gguf", {});
//   nibble::Session& session = *race.session;  // on the faster backend, weights in place
//
// Auto alone takes any real GPU that holds the model, but an integrated GPU
// shares the CPU's memory bandwidth and can lose to the CPU engine, and a
// small model can be faster on the CPU than a discrete GPU's launch overhead
// allows. Racing costs a second load and a few dozen tokens, so callers keep
// the outcome per model and device and ask again only when either changes.
#include "nibble/engine.h"

#include <filesystem>
#include <memory>
#include <string>

namespace nibble {

struct BackendRace {
    std::shared_ptr<Model> model;      // loaded on the winner
    std::unique_ptr<Session> session;  // a fresh session on it (GPU weights already uploaded)
    std::string gpuName;               // the GPU that raced; empty when Auto found none able to run the model
    double gpuTokensPerSecond = 0;     // decode speed after a warm-up; 0 when no GPU raced
    double cpuTokensPerSecond = 0;
    bool gpuWon() const { return !gpuName.empty() && gpuTokensPerSecond > cpuTokensPerSecond; }
};

// Opens the model as Auto would; when that puts it on a GPU, opens it on the
// CPU too, decodes the same tokens on both and keeps the faster. options'
// backend is ignored (this is what Auto means here); its progress callback
// sees both loads and the race as one 0..1 and may cancel (Error Cancelled).
BackendRace raceBackends(const std::filesystem::path& path, const LoadOptions& options);

}  // namespace nibble
