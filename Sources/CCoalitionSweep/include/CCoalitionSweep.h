// The fused inner loop of CombinationEvaluator's coalition sweep for models whose first layer is followed by a ReLU
// and one dense layer to the classes (first layer → ReLU → dense, e.g. the 784-128-10 MLP).
//
// For one block of images it visits every subset S of the N members depth-first (members added in ascending order,
// so T_S = T_{S without its last member} + w_last·Z_last is one multiply-add per element, and no running sum ever
// subtracts), forms z_S = relu(Z_base + T_S / W_S), the coalition's dense layer (W_base + V_S / W_S, V_S the same
// weighted sum over the members' dense parameters), the logits, and then either the argmax count with a near-tie flag
// (accuracy) or the softmax cross-entropy sum (loss). The block's members' first-layer outputs and the running sums
// stay in the core's L2 cache for all 2^N subsets. No BLAS routine fuses these steps, hence this kernel.
// Compiled three times: for AVX-512 (16 rows per vector), AVX2+FMA and baseline x86-64 (8 rows per vector); the caller
// picks one the CPU runs (`fedattr_sweep_best_isa`) and lays its blocks out for that variant's row groups.
#ifndef FEDATTR_CCOALITIONSWEEP_H
#define FEDATTR_CCOALITIONSWEEP_H

#include <stdint.h>

// The kernel's variants; a block names the one that runs it.
#define FEDATTR_SWEEP_BASELINE 0
#define FEDATTR_SWEEP_AVX2 1
#define FEDATTR_SWEEP_AVX512 2
// Largest class count the kernel accepts.
#define FEDATTR_SWEEP_MAX_CLASSES 64

// One block of images for one sweep. Block layout of a [rows × hidden] matrix for a variant with L lanes
// (`fedattr_sweep_lanes`): groups of L rows, each group stored as hidden × L floats (unit h of rows Lg..Lg+L−1 at
// (g·hidden + h)·L).
typedef struct fedattr_sweep_block {
    int32_t isa;                  // FEDATTR_SWEEP_*: the variant to run, one the CPU supports
    int32_t members;              // N ≤ 30
    int32_t hidden;               // first layer's output width H
    int32_t classes;              // C ≤ FEDATTR_SWEEP_MAX_CLASSES
    int32_t rows;                 // rows in the block, a multiple of the variant's lanes (padding rows have label −1)
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

// The fastest variant this CPU runs.
int fedattr_sweep_best_isa(void);

// Rows per vector (and per group of the block layout) of a variant: 16 for AVX-512, else 8.
int fedattr_sweep_lanes(int isa);

#endif
