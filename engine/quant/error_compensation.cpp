#include "quant/error_compensation.h"

#include "cpu/thread_pool.h"
#include "nibble/error.h"
#include "quant/block_grid.h"
#include "tensor/quantize.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace nibble::quant {
namespace {

constexpr size_t kTileRows = 16;

// In-place Cholesky: a (n x n, row-major, symmetric) becomes L with a = L L^T
// in its lower triangle; returns false when a is not positive definite.
bool choleskyLower(std::vector<double>& a, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
        double* rj = &a[size_t(j * n)];
        double d = rj[j];
        for (int64_t p = 0; p < j; ++p) d -= rj[p] * rj[p];
        if (!(d > 0)) return false;
        d = std::sqrt(d);
        rj[j] = d;
        for (int64_t i = j + 1; i < n; ++i) {
            double* ri = &a[size_t(i * n)];
            double s = ri[j];
            for (int64_t p = 0; p < j; ++p) s -= ri[p] * rj[p];
            ri[j] = s / d;
        }
    }
    return true;
}

}  // namespace

bool canCompensate(GgmlType type) { return hasElementGrid(type); }

std::vector<double> inverseCholeskyFactor(std::vector<double> h, int64_t n, double damp) {
    double meanDiag = 0;
    for (int64_t i = 0; i < n; ++i) meanDiag += h[size_t(i * n + i)];
    meanDiag /= double(n);
    if (!(meanDiag > 0)) meanDiag = 1;
    for (int64_t i = 0; i < n; ++i) {
        double& d = h[size_t(i * n + i)];
        if (d <= 0) d = meanDiag;  // a dead input: any weight there is as good as another
        d += damp * meanDiag;
    }
    // With P the order-reversing permutation and P H P = Lr Lr^T, the factor
    // is U = P Lr^-1 P: upper triangular, and U^T U = P Lr^-T Lr^-1 P = H^-1.
    // One Cholesky and one triangular inverse, no explicit H^-1.
    std::vector<double> r(size_t(n * n));
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) r[size_t(i * n + j)] = h[size_t((n - 1 - i) * n + (n - 1 - j))];
    if (!choleskyLower(r, n))
        throw Error(ErrorKind::Internal, "the calibration statistics of a weight matrix are not positive definite");
    // mt holds (Lr^-1)^T, upper triangular, so the inversion reads rows, not columns.
    std::vector<double> mt(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i) {
        const double* li = &r[size_t(i * n)];
        mt[size_t(i * n + i)] = 1.0 / li[i];
        for (int64_t j = 0; j < i; ++j) {
            const double* mj = &mt[size_t(j * n)];
            double s = 0;
            for (int64_t p = j; p < i; ++p) s += li[p] * mj[p];
            mt[size_t(j * n + i)] = -s / li[i];
        }
    }
    std::vector<double> u(size_t(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = i; j < n; ++j) u[size_t(i * n + j)] = mt[size_t((n - 1 - j) * n + (n - 1 - i))];
    return u;
}

void errorCompensatedQuantize(GgmlType type, const float* weights, uint64_t rows, int64_t k,
                              const std::vector<double>& u, const float* importance, uint8_t* dst, ThreadPool& pool) {
    if (!canCompensate(type))
        throw Error(ErrorKind::Unsupported,
                    "error-compensating quantization cannot write " + std::string(typeName(type)) + " yet");
    if (u.size() != size_t(k * k)) throw Error(ErrorKind::InvalidArgument, "the error factor does not match the matrix width");
    const auto traits = typeTraits(type);
    const int64_t block = traits->blockSize;
    const size_t blockBytes = traits->blockBytes;
    const size_t rowBytes = quantizedRowBytes(type, k);
    // Rows go in tiles so that each row of the K x K factor, read once per
    // block, serves a whole tile: the factor is what the time is spent reading.
    const size_t tiles = (rows + kTileRows - 1) / kTileRows;
    pool.parallelFor(tiles, [&](size_t beginTile, size_t endTile) {
        std::vector<double> w(kTileRows * size_t(k));
        std::vector<float> segment(static_cast<size_t>(block));
        std::vector<double> errors(kTileRows * size_t(block));
        for (size_t tile = beginTile; tile < endTile; ++tile) {
            const size_t first = tile * kTileRows, count = std::min<size_t>(kTileRows, rows - first);
            for (size_t i = 0; i < count * size_t(k); ++i) w[i] = weights[first * size_t(k) + i];
            for (int64_t g = 0; g < k; g += block) {
                for (size_t i = 0; i < count; ++i) {
                    double* wi = &w[i * size_t(k)];
                    double* ei = &errors[i * size_t(block)];
                    // The block's scales, from its weights as the earlier blocks left them.
                    for (int64_t j = 0; j < block; ++j) segment[size_t(j)] = float(wi[g + j]);
                    uint8_t* b = dst + (first + i) * rowBytes + size_t(g / block) * blockBytes;
                    quantizeRow(type, segment.data(), b, block, importance ? importance + g : nullptr);
                    for (int64_t j = 0; j < block; ++j) {
                        const int64_t c = g + j;
                        const ElementGrid grid = elementGrid(type, b, int(j));
                        const int level = grid.nearest(float(wi[c]));
                        setElementLevel(type, b, int(j), level);
                        const double* uc = &u[size_t(c * k)];
                        const double e = (wi[c] - double(grid.value(level))) / uc[c];
                        ei[j] = e;
                        for (int64_t t = c + 1; t < g + block; ++t) wi[t] -= e * uc[t];
                    }
                }
                // The block's errors reach the later blocks in one pass (the lazy batch update).
                for (int64_t j = 0; j < block; ++j) {
                    const double* uc = &u[size_t((g + j) * k)];
                    for (size_t i = 0; i < count; ++i) {
                        const double e = errors[i * size_t(block) + size_t(j)];
                        double* wi = &w[i * size_t(k)];
                        for (int64_t t = g + block; t < k; ++t) wi[t] -= e * uc[t];
                    }
                }
            }
        }
    });
}

}  // namespace nibble::quant
