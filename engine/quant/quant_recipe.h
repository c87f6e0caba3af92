#pragma once
// Which type each tensor of a model gets under a named recipe, following the
// rules of the established quantize tool so our files compare with theirs:
// the output matrix gets more bits, the "M" mixes give attn_v and ffn_down
// more bits in some layers, and rows that do not fit a block format fall back
// to one that does.
#include "gguf/gguf_reader.h"

#include <optional>
#include <string>

namespace nibble {

struct QuantRecipe {
    std::string name;
    GgmlType base;
    uint32_t fileType;  // general.file_type as the established tools number it
    bool moreBitsMix;   // Q4_K_M / Q5_K_M: Q6_K for attn_v and ffn_down in some layers

    static std::optional<QuantRecipe> byName(const std::string& name);
    // The type for one tensor; the tensor keeps its own type when it is not a weight matrix.
    GgmlType typeFor(const gguf::TensorInfo& tensor, const gguf::GgufFile& file, uint32_t layerCount) const;
};

}  // namespace nibble
