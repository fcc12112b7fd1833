// See CCoalitionSweep.h. One body (sweep_kernel.h) for every instruction set: its always-inline functions are
// instantiated at 8 rows per vector inside `run_baseline` (SSE2) and `run_avx2` (AVX2 + FMA), and at 16 inside
// `run_avx512` (AVX-512), whose block layout groups 16 rows.
#pragma clang diagnostic ignored "-Wpsabi"
#include "CCoalitionSweep.h"

#include <math.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

#define KERNEL_LANES 8
#define KERNEL(name) name##_8
#include "sweep_kernel.h"
#undef KERNEL
#undef KERNEL_LANES

#define KERNEL_LANES 16
#define KERNEL(name) name##_16
#include "sweep_kernel.h"
#undef KERNEL
#undef KERNEL_LANES

static void run_baseline(const fedattr_sweep_block *b) {
    if (b->classes == 10) run_block_8(b, 10); else run_block_8(b, b->classes);
}

__attribute__((target("avx2,fma"))) static void run_avx2(const fedattr_sweep_block *b) {
    if (b->classes == 10) run_block_8(b, 10); else run_block_8(b, b->classes);
}

__attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl"))) static void run_avx512(const fedattr_sweep_block *b) {
    if (b->classes == 10) run_block_16(b, 10); else run_block_16(b, b->classes);
}

int fedattr_sweep_best_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma")) return FEDATTR_SWEEP_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return FEDATTR_SWEEP_AVX2;
    return FEDATTR_SWEEP_BASELINE;
}

int fedattr_sweep_lanes(int isa) { return isa == FEDATTR_SWEEP_AVX512 ? 16 : 8; }

void fedattr_sweep_block_run(const fedattr_sweep_block *b) {
    switch (b->isa) {
    case FEDATTR_SWEEP_AVX512: run_avx512(b); break;
    case FEDATTR_SWEEP_AVX2: run_avx2(b); break;
    default: run_baseline(b); break;
    }
}
