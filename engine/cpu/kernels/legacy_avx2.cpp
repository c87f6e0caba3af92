// Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 against Q8_0 activations, with AVX2.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addLegacyAvx2(KernelTable&) {}

}  // namespace nibble::cpu
