#pragma once
// Which kernel set (cpu/kernel_table.h) this processor runs: the widest one it
// supports, found once from what the processor and the operating system
// report, so one binary runs on every x86-64 and ARM64 machine.
#include "cpu/kernel_table.h"

#include <optional>
#include <string_view>
#include <vector>

namespace nibble::cpu {

// The sets this processor can run, narrowest first; Portable is always there.
std::vector<Isa> supportedIsas();

// The widest supported set, or the one NIBBLE_CPU_ISA names
// (portable, avx2, avx512, amx, neon) when this processor supports it.
Isa preferredIsa();

// The composed table of one set (the portable kernels, overridden by the
// set's own). Only for a set in supportedIsas().
const KernelTable& kernelTable(Isa isa);

std::string_view isaName(Isa isa);
std::optional<Isa> isaNamed(std::string_view name);

}  // namespace nibble::cpu
