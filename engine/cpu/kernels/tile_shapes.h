// Turns a run-time tile shape into the kernel compiled for it.
#pragma once

#include "cpu/kernel_table.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace nibble::cpu {

// One tile kernel of a fixed shape: `units` blocks (or weights) of each row.
using TileFn = void (*)(int64_t units, const uint8_t* w, size_t wStride, const uint8_t* x, size_t xStride, float* y,
                        size_t ldy);

// The SIMD sets compile one kernel per (rows, cols) so that the tile's
// accumulators stay in registers. Tiles::fn<Rows, Cols> names them; each set
// defines its Tiles in its own file (an unnamed namespace), so instances
// compiled for different instruction sets never meet.
template <class Tiles>
inline constexpr TileFn kTileShapes[kMaxTileRows][kMaxTileCols] = {
    {Tiles::template fn<1, 1>, Tiles::template fn<1, 2>, Tiles::template fn<1, 3>, Tiles::template fn<1, 4>},
    {Tiles::template fn<2, 1>, Tiles::template fn<2, 2>, Tiles::template fn<2, 3>, Tiles::template fn<2, 4>},
    {Tiles::template fn<3, 1>, Tiles::template fn<3, 2>, Tiles::template fn<3, 3>, Tiles::template fn<3, 4>},
    {Tiles::template fn<4, 1>, Tiles::template fn<4, 2>, Tiles::template fn<4, 3>, Tiles::template fn<4, 4>},
};

// The same for tiles of up to MaxRows x MaxCols (WeightKernel::promptDot).
template <class Tiles, int Row, int... Col>
constexpr std::array<TileFn, sizeof...(Col)> tileShapeRow(std::integer_sequence<int, Col...>) {
    return {Tiles::template fn<Row, Col + 1>...};
}

template <class Tiles, int MaxCols, int... Row>
constexpr std::array<std::array<TileFn, MaxCols>, sizeof...(Row)> tileShapeTable(std::integer_sequence<int, Row...>) {
    return {tileShapeRow<Tiles, Row + 1>(std::make_integer_sequence<int, MaxCols>())...};
}

template <class Tiles, int UnitWeights, int MaxRows, int MaxCols>
void dotTileUpTo(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
                 float* y, size_t ldy) {
    static constexpr auto kShapes = tileShapeTable<Tiles, MaxCols>(std::make_integer_sequence<int, MaxRows>());
    kShapes[size_t(rows - 1)][size_t(cols - 1)](k / UnitWeights, w, wStride, x, xStride, y, ldy);
}

// The DotTileFn of a set's tiles, whose rows are counted in units of
// UnitWeights weights (a block, or 1 for float formats).
template <class Tiles, int UnitWeights>
void dotTileOf(int64_t k, const uint8_t* w, size_t wStride, int rows, const uint8_t* x, size_t xStride, int cols,
               float* y, size_t ldy) {
    kTileShapes<Tiles>[rows - 1][cols - 1](k / UnitWeights, w, wStride, x, xStride, y, ldy);
}

}  // namespace nibble::cpu
