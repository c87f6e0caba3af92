#pragma once
// The tile configuration AMX's ldtilecfg reads (palette 1), shared by the
// AMX kernel files. A plain type: kernel_table.h says why headers hold no
// instruction-set code.
#include <cstdint>

namespace nibble::cpu {

struct alignas(64) AmxTileConfig {
    uint8_t palette = 1;
    uint8_t startRow = 0;
    uint8_t reserved[14] = {};
    uint16_t bytesPerRow[16] = {};
    uint8_t rows[16] = {};
};
static_assert(sizeof(AmxTileConfig) == 64);

}  // namespace nibble::cpu
