#pragma once
// How fast this machine reads memory: decoding a token reads every weight
// once, so this rate over a model's weight bytes bounds (and, for the fast
// CPU path, roughly predicts) its decode speed on the CPU.
#include <cstddef>

namespace nibble {

// Bytes per second that `threads` threads together read from a buffer of
// `bytes` (rounded down to whole 64-byte lines per thread), best of `passes`
// passes. Allocates and touches the buffer first; takes about
// passes * bytes / bandwidth seconds, so call it off a UI thread. threads 0:
// one per logical processor.
double measureMemoryReadBandwidth(size_t bytes, unsigned threads = 0, int passes = 3);

}  // namespace nibble
