#pragma once
// The dense products of error compensation (statistics, corrections, aimed
// weights), cut into small tiles of results held in registers while the
// inner index runs, so each value read serves a whole tile instead of one
// sum. Every result is summed over the inner index in increasing order, in
// slices 256 deep added to its destination one after another, whatever the
// tiling and the thread count: a matrix's rows come out the same alone or
// inside a fused matrix.
#include <cstddef>

namespace nibble {

class ThreadPool;

namespace quant {

// A matrix read in place: element (i, p) at data[i * row + p * col].
template <typename T>
struct MatrixView {
    const T* data;
    size_t row, col;
};

// c (m x n, row stride ldc) += a (m x depth) b (depth x n, row stride ldb).
template <typename TA, typename TB>
void addProduct(MatrixView<TA> a, const TB* b, size_t ldb, size_t m, size_t n, size_t depth, double* c, size_t ldc,
                ThreadPool& pool);

// c (n x n) += a b for products known to be symmetric, computed for the
// lower triangle (diagonal included) only: entries above the diagonal are
// not meaningful afterwards.
template <typename TA, typename TB>
void addSymmetricProduct(MatrixView<TA> a, const TB* b, size_t ldb, size_t n, size_t depth, double* c,
                         ThreadPool& pool);

// g = U^T U for an upper triangular U (n x n, row-major), all of g written.
void gramOfUpper(const double* u, size_t n, double* g, ThreadPool& pool);

}  // namespace quant
}  // namespace nibble
