// Q2_K to Q6_K against Q8_K activations, with AVX-512 VNNI: none yet, the
// AVX2 kernels serve. A 64-byte vpmaddubsw + vpdpwssd version of Q4_K and
// Q6_K measured no faster than AVX2, whose time goes into unpacking the
// super-block rather than the products.
#include "cpu/kernel_table.h"

namespace nibble::cpu {

void addKQuantAvx512(KernelTable&) {}

}  // namespace nibble::cpu
