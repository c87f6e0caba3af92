#include "quant/quant_recipe.h"

#include <array>
#include <string_view>

namespace nibble {
namespace {

bool endsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Layers that get more bits in the "M" mixes: the first and last eighth, and every third in between.
bool useMoreBits(int layer, int layers) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

int layerOf(std::string_view name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    return std::atoi(std::string(name.substr(4)).c_str());
}

bool isFloat(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

}  // namespace

std::optional<QuantRecipe> QuantRecipe::byName(const std::string& name) {
    static const std::array<QuantRecipe, 11> recipes = {{
        {"F16", GgmlType::F16, 1, false},
        {"Q8_0", GgmlType::Q8_0, 7, false},
        {"Q6_K", GgmlType::Q6_K, 18, false},
        {"Q5_K_M", GgmlType::Q5_K, 17, true},
        {"Q5_1", GgmlType::Q5_1, 9, false},
        {"Q5_0", GgmlType::Q5_0, 8, false},
        {"Q4_K_M", GgmlType::Q4_K, 15, true},
        {"Q4_1", GgmlType::Q4_1, 3, false},
        {"Q4_0", GgmlType::Q4_0, 2, false},
        {"IQ4_XS", GgmlType::IQ4_XS, 30, false},
        {"IQ4_NL", GgmlType::IQ4_NL, 25, false},
    }};
    for (const auto& r : recipes)
        if (r.name == name) return r;
    return std::nullopt;
}

GgmlType QuantRecipe::typeFor(const gguf::TensorInfo& t, const gguf::GgufFile& file, uint32_t layerCount) const {
    const std::string_view name = t.name;
    if (t.shape.size() < 2 || !endsWith(name, ".weight") || name.find("_norm") != std::string_view::npos)
        return t.type;
    GgmlType type = base;
    const bool quantized = base != GgmlType::F16;
    const bool hasOutput = file.findTensor("output.weight") != nullptr;
    if (quantized) {
        if (name == "output.weight" || (!hasOutput && name == "token_embd.weight")) {
            if (t.shape[0] % 256 != 0) type = GgmlType::Q8_0;
            else if (type != GgmlType::Q8_0) type = GgmlType::Q6_K;
        } else if (moreBitsMix && (name.find("attn_v.weight") != std::string_view::npos ||
                                   name.find("ffn_down") != std::string_view::npos)) {
            if (useMoreBits(layerOf(name), int(layerCount))) type = GgmlType::Q6_K;
        }
    }
    const uint32_t block = typeTraits(uint32_t(type))->blockSize;
    if (t.shape[0] % block != 0) {
        switch (type) {
        case GgmlType::Q4_K: type = GgmlType::Q5_0; break;
        case GgmlType::Q5_K: type = GgmlType::Q5_1; break;
        case GgmlType::Q6_K: type = GgmlType::Q8_0; break;
        case GgmlType::IQ4_XS: type = GgmlType::IQ4_NL; break;  // as the established tool
        default: break;
        }
        if (t.shape[0] % typeTraits(uint32_t(type))->blockSize != 0) type = isFloat(t.type) ? t.type : GgmlType::F16;
    }
    return type;
}

}  // namespace nibble
