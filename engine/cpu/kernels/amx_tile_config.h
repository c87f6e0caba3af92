#pragma once
// The tile configuration AMX's ldtilecfg reads (palette 1) and the prompt
// kernels' dispatch, shared by the AMX kernel files. No instruction-set code:
// kernel_table.h says why headers hold none.
#include "cpu/kernel_table.h"
#include "tensor/ggml_type.h"

#include <cstdint>
#include <initializer_list>
#include <utility>

namespace nibble::cpu {

struct alignas(64) AmxTileConfig {
    uint8_t palette = 1;
    uint8_t startRow = 0;
    uint8_t reserved[14] = {};
    uint16_t bytesPerRow[16] = {};
    uint8_t rows[16] = {};
};
static_assert(sizeof(AmxTileConfig) == 64);

namespace {

// The layout of both AMX files' prompt tiles, for 16 weight rows and a dot
// product `depth` bytes deep: tiles 0 and 1 hold 16 inputs' int32 sums,
// tile 2 the weights (depth / 4 rows of 16 rows' 4 bytes, as tdpbusd wants
// them), tiles 3 and 4 two groups of 16 inputs' bytes; 5, 6 and 7 the same
// for a last group of `tail` (0..15) inputs. Internal linkage: each file
// compiles its own copy for its own target.
[[maybe_unused]] AmxTileConfig promptTileConfig(int depth, int tail) {
    constexpr int kRows = 16, kInputs = 16;
    AmxTileConfig config;
    for (int t : {0, 1}) {
        config.rows[t] = kInputs;
        config.bytesPerRow[t] = kRows * 4;
    }
    config.rows[2] = uint8_t(depth / 4);
    config.bytesPerRow[2] = kRows * 4;
    for (int t : {3, 4}) {
        config.rows[t] = kInputs;
        config.bytesPerRow[t] = uint16_t(depth);
    }
    if (tail > 0) {
        for (int t : {5, 6}) {
            config.rows[t] = uint8_t(tail);
            config.bytesPerRow[t] = kRows * 4;
        }
        config.rows[7] = uint8_t(tail);
        config.bytesPerRow[7] = uint16_t(depth);
    }
    return config;
}

// A prompt product takes whole groups of 16 inputs and a last group of
// cols % 16: Tiles::template Tile<Tail>::kRun handles each last width, picked
// at run time from a table.
template <class Tiles, int... Tail>
constexpr DotTileFn kByTail[] = {Tiles::template Tile<Tail>::kRun...};

template <class Tiles, int... Tail>
void dotTileByTail(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                   float* y, size_t ldy, std::integer_sequence<int, Tail...>) {
    kByTail<Tiles, Tail...>[cols % 16](k, w, wStride, rows, x, xStride, cols, y, ldy);
}

template <class Tiles>
void promptTile(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                float* y, size_t ldy) {
    dotTileByTail<Tiles>(k, w, wStride, rows, x, xStride, cols, y, ldy, std::make_integer_sequence<int, 16>());
}

// The type's prompt kernel: 16 weight rows, up to maxCols inputs (a prompt
// chunk), each a refined pair of rows.
template <class Tiles>
void setPromptKernel(KernelTable& table, GgmlType type, int maxCols) {
    WeightKernel& kernel = table.weights[static_cast<int>(type)];
    kernel.promptDot = promptTile<Tiles>;
    kernel.promptInput = RefinedInput::Pair;
    kernel.promptRows = 16;
    kernel.promptCols = maxCols;
}

}  // namespace

}  // namespace nibble::cpu
