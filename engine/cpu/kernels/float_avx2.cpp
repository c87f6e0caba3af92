// F32, F16 and BF16 weights against f32 inputs, with AVX2, FMA and F16C.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addFloatAvx2(KernelTable&) {}

}  // namespace nibble::cpu
