#include "cpu/kernels.h"

#include <array>
#include <cstdlib>

#if defined(__x86_64__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
#endif

namespace nibble::cpu {
namespace {

#if defined(__x86_64__)
// Whether the processor has AMX-INT8 tiles and Linux lets this process use
// them: their 8 KB of registers are saved with a thread only for processes
// that ask (arch_prctl(ARCH_REQ_XCOMP_PERM)), and a tile instruction
// without the grant kills the process. The grant is for the whole process
// and cannot be taken back, so asking again is harmless. Virtual machines
// often list the tiles and refuse the grant: then the AVX-512 set serves.
bool amxUsable() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    constexpr unsigned kAmxTile = 1u << 24, kAmxInt8 = 1u << 25;
    if ((edx & (kAmxTile | kAmxInt8)) != (kAmxTile | kAmxInt8)) return false;
#if defined(__linux__)
    constexpr int kReqXcompPerm = 0x1023;
    constexpr int kXfeatureTileData = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureTileData) == 0;
#else
    return false;
#endif
}
#endif

KernelTable compose(Isa isa) {
    KernelTable table;
    table.isa = isa;
    addLegacyPortable(table);
    addKQuantPortable(table);
    addFloatPortable(table);
    addIQuantPortable(table);
    addActivationPortable(table);
#if defined(__x86_64__)
    const bool avx512 = isa == Isa::Avx512Vnni || isa == Isa::Avx512Amx;
    if (isa == Isa::Avx2 || avx512) {
        addLegacyAvx2(table);
        addKQuantAvx2(table);
        addFloatAvx2(table);
        addIQuantAvx2(table);
        addActivationAvx2(table);
    }
    if (avx512) {
        addLegacyAvx512(table);
        addKQuantAvx512(table);
        addFloatAvx512(table);
    }
    if (isa == Isa::Avx512Amx) {
        addLegacyAmx(table);
        addKQuantAmx(table);
    }
#elif defined(__aarch64__)
    if (isa == Isa::NeonDot) {
        addLegacyNeon(table);
        addKQuantNeon(table);
        addFloatNeon(table);
        addIQuantNeon(table);
    }
#endif
    return table;
}

}  // namespace

std::vector<Isa> supportedIsas() {
    std::vector<Isa> isas{Isa::Portable};
#if defined(__x86_64__)
    // __builtin_cpu_supports also checks that the OS saves the wide registers.
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                      __builtin_cpu_supports("f16c");
    if (avx2) isas.push_back(Isa::Avx2);
    const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    if (avx512) isas.push_back(Isa::Avx512Vnni);
    if (avx512 && amxUsable()) isas.push_back(Isa::Avx512Amx);
#elif defined(__aarch64__) && defined(__linux__)
    if (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) isas.push_back(Isa::NeonDot);
#endif
    return isas;
}

Isa preferredIsa() {
    const std::vector<Isa> isas = supportedIsas();
    if (const char* env = std::getenv("NIBBLE_CPU_ISA"))
        if (const auto named = isaNamed(env))
            for (Isa isa : isas)
                if (isa == *named) return isa;
    return isas.back();
}

const KernelTable& kernelTable(Isa isa) {
    // Composed on first use and never changed: the tables are constants
    // that happen to be built at run time.
    static const std::array<KernelTable, 5> tables{compose(Isa::Portable), compose(Isa::Avx2),
                                                    compose(Isa::Avx512Vnni), compose(Isa::Avx512Amx),
                                                    compose(Isa::NeonDot)};
    return tables[static_cast<size_t>(isa)];
}

std::string_view isaName(Isa isa) {
    switch (isa) {
    case Isa::Portable: return "portable";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512Vnni: return "avx512";
    case Isa::Avx512Amx: return "amx";
    case Isa::NeonDot: return "neon";
    }
    return "portable";
}

std::optional<Isa> isaNamed(std::string_view name) {
    for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512Vnni, Isa::Avx512Amx, Isa::NeonDot})
        if (isaName(isa) == name) return isa;
    return std::nullopt;
}

}  // namespace nibble::cpu
