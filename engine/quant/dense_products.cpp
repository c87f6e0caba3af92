#include "quant/dense_products.h"

#include "cpu/thread_pool.h"

#include <algorithm>

namespace nibble::quant {
namespace {

// Results per tile side: 4 x 4 doubles, eight two-lane sums, fit the 16
// vector registers of the baseline x86-64 and ARM instruction sets with
// room for the operands.
constexpr size_t kSide = 4;

using Pair = double __attribute__((vector_size(16)));

// One full tile of c += a b over p in [0, depth), its sums in registers.
template <typename TA, typename TB>
void tile(MatrixView<TA> a, const TB* b, size_t ldb, size_t depth, double* c, size_t ldc) {
    Pair s00{}, s01{}, s10{}, s11{}, s20{}, s21{}, s30{}, s31{};
    for (size_t p = 0; p < depth; ++p) {
        const TB* bp = b + p * ldb;
        const Pair b0{double(bp[0]), double(bp[1])}, b1{double(bp[2]), double(bp[3])};
        const TA* ap = a.data + p * a.col;
        const double a0 = double(ap[0]), a1 = double(ap[a.row]), a2 = double(ap[2 * a.row]), a3 = double(ap[3 * a.row]);
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s20 += a2 * b0;
        s21 += a2 * b1;
        s30 += a3 * b0;
        s31 += a3 * b1;
    }
    const Pair sums[kSide][2] = {{s00, s01}, {s10, s11}, {s20, s21}, {s30, s31}};
    for (size_t i = 0; i < kSide; ++i)
        for (size_t j = 0; j < kSide; ++j) c[i * ldc + j] += sums[i][j / 2][j % 2];
}

template <typename TA, typename TB>
void anyTile(MatrixView<TA> a, const TB* b, size_t ldb, size_t rows, size_t cols, size_t depth, double* c, size_t ldc) {
    if (rows == kSide && cols == kSide) return tile(a, b, ldb, depth, c, ldc);
    for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < cols; ++j) {
            double sum = 0;
            for (size_t p = 0; p < depth; ++p) sum += double(a.data[i * a.row + p * a.col]) * double(b[p * ldb + j]);
            c[i * ldc + j] += sum;
        }
}

// Blocks of results whose operands, kBlockDepth deep, stay in the L2 cache
// while the tiles inside them are computed: every operand value is then
// read from memory once per block rather than once per tile. The depth is
// cut at fixed multiples of kBlockDepth, so each result is still summed in
// the same order whatever the rows around it.
constexpr size_t kBlockRows = 64, kBlockCols = 64, kBlockDepth = 256;

// The tiles of c rows [i0, i1) x columns [j0, j1) over p in [p0, p1), each
// tile's depth also capped by cap(its first row, its first column).
template <typename TA, typename TB, typename Cap>
void block(MatrixView<TA> a, const TB* b, size_t ldb, size_t i0, size_t i1, size_t j0, size_t j1, size_t p0,
           size_t p1, Cap cap, double* c, size_t ldc) {
    for (size_t i = i0; i < i1; i += kSide)
        for (size_t j = j0; j < j1; j += kSide) {
            const size_t end = std::min(p1, cap(i, j));
            if (end <= p0) continue;
            const MatrixView<TA> at{a.data + i * a.row + p0 * a.col, a.row, a.col};
            anyTile(at, b + p0 * ldb + j, ldb, std::min(kSide, i1 - i), std::min(kSide, j1 - j), end - p0,
                    c + i * ldc + j, ldc);
        }
}

// Rows [i0, i1) of c, columns [0, columns), over the whole depth.
template <typename TA, typename TB, typename Cap>
void rowBlock(MatrixView<TA> a, const TB* b, size_t ldb, size_t i0, size_t i1, size_t columns, size_t depth,
              Cap cap, double* c, size_t ldc) {
    for (size_t p0 = 0; p0 < depth; p0 += kBlockDepth)
        for (size_t j0 = 0; j0 < columns; j0 += kBlockCols)
            block(a, b, ldb, i0, i1, j0, std::min(columns, j0 + kBlockCols), p0, std::min(depth, p0 + kBlockDepth), cap,
                  c, ldc);
}

// Every row block of the lower triangle of c (n x n), the threads taking
// them in pairs from both ends so that each gets a like share of it.
template <typename TA, typename TB, typename Cap>
void lowerBlocks(MatrixView<TA> a, const TB* b, size_t ldb, size_t n, size_t depth, Cap cap, double* c,
                 ThreadPool& pool) {
    const size_t blocks = (n + kBlockRows - 1) / kBlockRows;
    pool.parallelFor((blocks + 1) / 2, [&](size_t begin, size_t end) {
        auto rows = [&](size_t t) {
            const size_t i0 = t * kBlockRows, i1 = std::min(n, i0 + kBlockRows);
            rowBlock(a, b, ldb, i0, i1, i1, depth, cap, c, n);
        };
        for (size_t pair = begin; pair < end; ++pair) {
            rows(pair);
            if (blocks - 1 - pair != pair) rows(blocks - 1 - pair);
        }
    });
}

constexpr auto kNoCap = [](size_t, size_t) { return ~size_t(0); };

}  // namespace

template <typename TA, typename TB>
void addProduct(MatrixView<TA> a, const TB* b, size_t ldb, size_t m, size_t n, size_t depth, double* c, size_t ldc,
                ThreadPool& pool) {
    pool.parallelFor((m + kBlockRows - 1) / kBlockRows, [&](size_t begin, size_t end) {
        for (size_t t = begin; t < end; ++t)
            rowBlock(a, b, ldb, t * kBlockRows, std::min(m, (t + 1) * kBlockRows), n, depth, kNoCap, c, ldc);
    });
}

template <typename TA, typename TB>
void addSymmetricProduct(MatrixView<TA> a, const TB* b, size_t ldb, size_t n, size_t depth, double* c,
                         ThreadPool& pool) {
    lowerBlocks(a, b, ldb, n, depth, kNoCap, c, pool);
}

void gramOfUpper(const double* u, size_t n, double* g, ThreadPool& pool) {
    std::fill(g, g + n * n, 0.0);
    // (U^T U)_ij sums U_pi U_pj over p <= min(i, j): beyond a tile's smaller
    // edge every term is an exact zero, so the sums stop there.
    lowerBlocks(MatrixView<double>{u, 1, n}, u, n, n, n,
                [&](size_t i, size_t j) { return std::min(i, j) + kSide; }, g, pool);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < i; ++j) g[j * n + i] = g[i * n + j];
}

template void addProduct(MatrixView<float>, const float*, size_t, size_t, size_t, size_t, double*, size_t, ThreadPool&);
template void addProduct(MatrixView<float>, const double*, size_t, size_t, size_t, size_t, double*, size_t, ThreadPool&);
template void addProduct(MatrixView<double>, const double*, size_t, size_t, size_t, size_t, double*, size_t, ThreadPool&);
template void addSymmetricProduct(MatrixView<float>, const float*, size_t, size_t, size_t, double*, ThreadPool&);

}  // namespace nibble::quant
