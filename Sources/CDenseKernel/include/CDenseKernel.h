// The first dense layer of a training step, reading the batch's samples where they lie (one pointer per row) instead
// of a gathered copy, without the packing OpenBLAS does on every call:
//   forward:  y[r][j] = bias[j] + Σ_k rows[r][k] · W[k][j]
//   gradient: G[k][j] = alpha · Σ_r rows[r][k] · dy[r][j] + beta · G[k][j]   (G not read when beta = 0)
// W, G are row-major inputs × outputs; y, dy row-major batch × outputs. Every sum runs in index order with one fused
// multiply-add per term (y from the bias, G's sum from zero, then one multiply-add with alpha), so every variant gives
// the same bits, equal to a scalar loop of fused multiply-adds in that order.
// Compiled twice: AVX-512 (16 floats per vector) and AVX2+FMA (8); a CPU with neither runs BLAS instead.
#ifndef FEDATTR_CDENSEKERNEL_H
#define FEDATTR_CDENSEKERNEL_H

// The kernel's variants. The caller picks one the CPU runs (Learning takes the coalition sweep's CPU check,
// `fedattr_sweep_best_isa`, which asks for the same features).
#define FEDATTR_DENSE_AVX2 1
#define FEDATTR_DENSE_AVX512 2

// Columns per tile of a variant (outputs must be a multiple): 64 for AVX-512, 16 for AVX2, 0 for another value.
int fedattr_dense_column_tile(int isa);

void fedattr_dense_forward(int isa, const float *const *rows, int batch, int inputs, int outputs,
                           const float *weights, const float *bias, float *y);

void fedattr_dense_weight_gradient(int isa, const float *const *rows, int batch, int inputs, int outputs,
                                   const float *dy, float alpha, float beta, float *gradient);

#endif
