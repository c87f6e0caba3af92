// The ARM64 kernel set (cpu/kernel_table.h, Isa::NeonDot), checked on any
// build machine by cross-compiling this file and running it under qemu
// (tests/cross/run-aarch64 does both). A plain main without Qt, so that only
// a cross C++ compiler is needed. It asserts what tests/engine/
// test_cpu_kernels.cpp asserts for the native sets: each activation
// quantizer keeps inputs within half a step, and each tile equals, up to
// float rounding, the product of the dequantized weights with the values the
// quantized activations stand for. One line per type; exits 1 on a failure.
#include "cpu/kernels.h"
#include "tensor/ggml_type.h"
#include "kernel_checks.h"

#include <cstdio>
#include <string>

using namespace nibble;
using namespace nibble::cpu;
using namespace nibble::test;

int main() {
    bool neon = false;
    for (Isa isa : supportedIsas()) neon = neon || isa == Isa::NeonDot;
    if (!neon) {
        std::printf("FAIL: this processor (or emulator) reports no dot-product extension\n");
        return 1;
    }
    const KernelTable& table = kernelTable(Isa::NeonDot);
    const KernelTable& portable = kernelTable(Isa::Portable);
    int failures = 0;
    const auto report = [&](const std::string& name, bool own, const std::string& error) {
        std::printf("%-6s %-8s %s\n", name.c_str(), own ? "neon" : "portable", error.empty() ? "ok" : error.c_str());
        if (!error.empty()) ++failures;
    };
    for (ActivationFormat fmt : {ActivationFormat::Q8_0, ActivationFormat::Q8_K}) {
        const int f = static_cast<int>(fmt);
        report(fmt == ActivationFormat::Q8_0 ? "in:Q8_0" : "in:Q8_K", table.quantize[f] != portable.quantize[f],
               table.quantize[f] ? checkQuantizer(table, fmt) : "no quantizer");
    }
    for (GgmlType type : kMatrixTypes) {
        const int t = static_cast<int>(type);
        report(std::string(typeName(type)), table.weights[t].dot != portable.weights[t].dot, checkTiles(table, type));
        if (table.weights[t].refinedDot)
            report(std::string(typeName(type)) + "+r", table.weights[t].refinedDot != portable.weights[t].refinedDot,
                   checkTiles(table, type, true));
    }
    std::printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
