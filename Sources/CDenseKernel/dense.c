// See CDenseKernel.h. One body (dense_kernel.h) for both instruction sets: 8 floats per vector and tiles of 6 × 2 vectors
// inside `*_avx2` (16 vector registers), 16 floats and tiles of 6 × 4 vectors inside `*_avx512` (32 registers).
#pragma clang diagnostic ignored "-Wpsabi"
#include "CDenseKernel.h"

#include <stddef.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

#define KERNEL_LANES 8
#define TILE_ROWS 6
#define TILE_VECTORS 2
#define REMAINDERS REMAINDER(1) REMAINDER(2) REMAINDER(3) REMAINDER(4) REMAINDER(5)
#define KERNEL(name) name##_8
#include "dense_kernel.h"
#undef KERNEL
#undef REMAINDERS
#undef TILE_ROWS
#undef TILE_VECTORS
#undef KERNEL_LANES

#define KERNEL_LANES 16
#define TILE_ROWS 6
#define TILE_VECTORS 4
#define REMAINDERS REMAINDER(1) REMAINDER(2) REMAINDER(3) REMAINDER(4) REMAINDER(5)
#define KERNEL(name) name##_16
#include "dense_kernel.h"
#undef KERNEL
#undef REMAINDERS
#undef TILE_ROWS
#undef TILE_VECTORS
#undef KERNEL_LANES

#define AVX2 __attribute__((target("avx2,fma")))
#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512dq,avx512vl")))

AVX2 static void forward_avx2(const float *const *rows, int batch, int inputs, int outputs,
                              const float *weights, const float *bias, float *y) {
    forward_all_8(rows, batch, inputs, outputs, weights, bias, y);
}

AVX512 static void forward_avx512(const float *const *rows, int batch, int inputs, int outputs,
                                  const float *weights, const float *bias, float *y) {
    forward_all_16(rows, batch, inputs, outputs, weights, bias, y);
}

AVX2 static void gradient_avx2(const float *const *rows, int batch, int inputs, int outputs,
                               const float *dy, float alpha, float beta, float *gradient) {
    gradient_all_8(rows, batch, inputs, outputs, dy, alpha, beta, gradient);
}

AVX512 static void gradient_avx512(const float *const *rows, int batch, int inputs, int outputs,
                                   const float *dy, float alpha, float beta, float *gradient) {
    gradient_all_16(rows, batch, inputs, outputs, dy, alpha, beta, gradient);
}

int fedattr_dense_column_tile(int isa) {
    switch (isa) {
    case FEDATTR_DENSE_AVX512: return 64;
    case FEDATTR_DENSE_AVX2: return 16;
    default: return 0;
    }
}

void fedattr_dense_forward(int isa, const float *const *rows, int batch, int inputs, int outputs,
                           const float *weights, const float *bias, float *y) {
    if (isa == FEDATTR_DENSE_AVX512) forward_avx512(rows, batch, inputs, outputs, weights, bias, y);
    else if (isa == FEDATTR_DENSE_AVX2) forward_avx2(rows, batch, inputs, outputs, weights, bias, y);
}

void fedattr_dense_weight_gradient(int isa, const float *const *rows, int batch, int inputs, int outputs,
                                   const float *dy, float alpha, float beta, float *gradient) {
    if (isa == FEDATTR_DENSE_AVX512) gradient_avx512(rows, batch, inputs, outputs, dy, alpha, beta, gradient);
    else if (isa == FEDATTR_DENSE_AVX2) gradient_avx2(rows, batch, inputs, outputs, dy, alpha, beta, gradient);
}
