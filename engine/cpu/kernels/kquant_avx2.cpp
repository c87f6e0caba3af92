// Q2_K to Q6_K against Q8_K activations, with AVX2.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addKQuantAvx2(KernelTable&) {}

}  // namespace nibble::cpu
