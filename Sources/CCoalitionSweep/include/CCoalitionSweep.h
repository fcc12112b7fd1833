// The fused inner loop of CombinationEvaluator's coalition sweep for models whose first layer is followed by a ReLU
// and one dense layer to the classes (first layer → ReLU → dense, e.g. the 784-128-10 MLP).
//
// For one block of images it visits every subset S of the N members depth-first (members added in ascending order,
// so T_S = T_{S without its last member} + w_last·Z_last is one multiply-add per element, and no running sum ever
// subtracts), forms z_S = relu(Z_base + T_S / W_S), the coalition's dense layer (W_base + V_S / W_S, V_S the same
// weighted sum over the members' dense parameters), the logits, and then either the argmax count with a near-tie flag
// (accuracy) or the softmax cross-entropy sum (loss). The block's members' first-layer outputs and the running sums
// stay in the core's L2 cache for all 2^N subsets. No BLAS routine fuses these steps, hence this kernel.
// Compiled twice: for AVX2+FMA (selected at run time when the CPU has them) and for baseline x86-64.
#ifndef FEDATTR_CCOALITIONSWEEP_H
#define FEDATTR_CCOALITIONSWEEP_H

#include <stdint.h>

// Rows of a block are processed 8 at a time: `rows` is a multiple of this.
#define FEDATTR_SWEEP_LANES 8
// Largest class count the kernel accepts.
#define FEDATTR_SWEEP_MAX_CLASSES 64

// One block of images for one sweep. Block layout of a [rows × hidden] matrix: groups of 8 rows, each group stored
// as hidden × 8 floats (unit h of rows 8g..8g+7 at (g·hidden + h)·8).
typedef struct fedattr_sweep_block {
    int32_t members;              // N ≤ 30
    int32_t hidden;               // first layer's output width H
    int32_t classes;              // C ≤ FEDATTR_SWEEP_MAX_CLASSES
    int32_t rows;                 // rows in the block, a multiple of 8 (padding rows have label −1)
    const float *weights;         // [N] member weights w_i ≥ 0
    const float *base;            // block layout [rows × H]: first-layer output of the base parameters
    const float *outputs;         // N block layouts [rows × H]: w_i × the first-layer output of member i's delta
    const float *dense;           // (N + 1) × (H·C + C): the dense layer (W row-major H × C, then b) of the base, then of each delta
    const int32_t *labels;        // [rows], −1 for padding
    float margin;                 // near-tie margin: a row whose top two logits differ by ≤ margin·max(1, |top|) flags its subset
    float *sums;                  // scratch, N + 1 block layouts [rows × H], the last one all zeros
    float *denseSums;             // scratch, N × (H·C + C)
    float *denseCombined;         // scratch, H·C + C
    int32_t *correct;             // [2^N]: += rows whose argmax is the label (accuracy), untouched for loss
    uint8_t *tied;                // [2^N]: set to 1 when a row of the subset is near a tie (accuracy only)
    double *losses;               // [2^N]: += the block's cross-entropy sum, or NULL for the accuracy sweep
} fedattr_sweep_block;

// Runs the block for all 2^N subsets (index = bit mask of members; subsets with W_S = 0 evaluate the base).
void fedattr_sweep_block_run(const fedattr_sweep_block *block);

// 1 when the AVX2+FMA variant runs on this CPU, else 0.
int fedattr_sweep_uses_avx2(void);

#endif
