#pragma once
// The model architectures (GGUF general.architecture) the engine runs: the
// one list both the loader's refusal and the app's checks (the download
// catalog, Hugging Face search results) read, so they cannot disagree.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace nibble {

// "mistral" is the llama shape under its own name; llama.cpp writes Mistral
// 7B as "llama".
inline constexpr std::array<std::string_view, 7> kSupportedArchitectures{
    "llama", "mistral", "qwen2", "qwen3", "gemma2", "gemma3", "phi3"};

inline bool isSupportedArchitecture(std::string_view name) {
    return std::find(kSupportedArchitectures.begin(), kSupportedArchitectures.end(), name) !=
           kSupportedArchitectures.end();
}

// "llama, mistral, qwen2, ...", for messages.
inline std::string supportedArchitecturesText() {
    std::string text;
    for (std::string_view name : kSupportedArchitectures) {
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text;
}

}  // namespace nibble
