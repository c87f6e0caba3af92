// Q2_K to Q6_K against Q8_K activations, in plain C++.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addKQuantPortable(KernelTable&) {}

}  // namespace nibble::cpu
