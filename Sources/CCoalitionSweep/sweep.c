// See CCoalitionSweep.h. One source for both instruction sets: the always-inline functions below are instantiated
#pragma clang diagnostic ignored "-Wpsabi"
// inside `run_avx2` (AVX2 + FMA, 8 floats per instruction, fused multiply-add) and `run_baseline` (SSE2).
#include "CCoalitionSweep.h"

#include <math.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

#define INLINE static inline __attribute__((always_inline))

INLINE v8f load8(const float *p) { v8f v; memcpy(&v, p, sizeof v); return v; }
INLINE void store8(float *p, v8f v) { memcpy(p, &v, sizeof v); }
INLINE v8i load8i(const int32_t *p) { v8i v; memcpy(&v, p, sizeof v); return v; }
INLINE v8f splat(float x) { return (v8f){x, x, x, x, x, x, x, x}; }
INLINE v8f select8(v8i m, v8f a, v8f b) { return (v8f)((m & (v8i)a) | (~m & (v8i)b)); }
INLINE v8f max8(v8f a, v8f b) { return select8(a > b, a, b); }
INLINE v8f min8(v8f a, v8f b) { return select8(a < b, a, b); }

// Evaluates one subset on the block: T = parent + member (the member's weighted output; stored when `storing`),
// z = relu(base + s·T), logits = z·W + b with the combined dense layer `dense`, then the accuracy count / tie flag or
// the loss sum.
INLINE void subset_pass(const fedattr_sweep_block *b, const int classes, const int storing, uint32_t mask,
                        const float *parent, const float *member, float *store, float s, const float *dense) {
    const int hidden = b->hidden, groups = b->rows / FEDATTR_SWEEP_LANES;
    const v8f sv = splat(s), zero = splat(0);
    const float *bias = dense + (size_t)hidden * classes;
    int32_t correct = 0;
    int tied = 0;
    double loss = 0;
    for (int g = 0; g < groups; g++) {
        const size_t first = (size_t)g * hidden * FEDATTR_SWEEP_LANES;
        v8f acc[FEDATTR_SWEEP_MAX_CLASSES];
        for (int c = 0; c < classes; c++) acc[c] = splat(bias[c]);
        for (int h = 0; h < hidden; h++) {
            const size_t o = first + (size_t)h * FEDATTR_SWEEP_LANES;
            const v8f t = load8(parent + o) + load8(member + o);
            if (storing) store8(store + o, t);
            v8f z = load8(b->base + o) + sv * t;
            z = (v8f)((v8i)z & (z > zero));
            const float *row = dense + (size_t)h * classes;
            for (int c = 0; c < classes; c++) acc[c] += z * splat(row[c]);
        }
        const v8i labels = load8i(b->labels + g * FEDATTR_SWEEP_LANES);
        if (b->losses) {
            float logits[FEDATTR_SWEEP_MAX_CLASSES][FEDATTR_SWEEP_LANES];
            for (int c = 0; c < classes; c++) store8(logits[c], acc[c]);
            for (int l = 0; l < FEDATTR_SWEEP_LANES; l++) {
                const int label = labels[l];
                if (label < 0) continue;
                float top = logits[0][l];
                for (int c = 1; c < classes; c++) if (logits[c][l] > top) top = logits[c][l];
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += exp((double)logits[c][l] - (double)top);
                loss += log(sum) + (double)top - (double)logits[label][l];
            }
        } else {
            v8f top = acc[0], second = splat(-INFINITY), labelLogit = select8(labels == 0, acc[0], splat(-INFINITY));
            for (int c = 1; c < classes; c++) {
                second = max8(second, min8(top, acc[c]));
                top = max8(top, acc[c]);
                labelLogit = select8(labels == c, acc[c], labelLogit);
            }
            const v8f magnitude = max8(splat(1), (v8f)((v8i)top & ~(v8i)splat(-0.0f)));   // max(1, |top|)
            const v8i clear = (top - second) > splat(b->margin) * magnitude;   // false for NaN too
            const v8i valid = labels >= 0;
            const v8i hit = (labelLogit == top) & clear & valid;
            const v8i near = ~clear & valid;
            for (int l = 0; l < FEDATTR_SWEEP_LANES; l++) {
                correct -= hit[l];
                tied |= near[l];
            }
        }
    }
    if (b->losses) {
        b->losses[mask] += loss;
    } else {
        b->correct[mask] += correct;
        if (tied) b->tied[mask] = 1;
    }
}

// Depth-first over all subsets: level L holds the running sums of the subset's first L+1 members.
INLINE void run_block(const fedattr_sweep_block *b, const int classes) {
    const int n = b->members, hidden = b->hidden;
    const size_t layout = (size_t)b->rows * hidden, denseCount = (size_t)hidden * classes + classes;
    const float *zeros = b->sums + (size_t)n * layout;
    subset_pass(b, classes, 0, 0, zeros, zeros, NULL, 0, b->dense);
    int chosen[32];
    uint32_t masks[33];
    double totals[33];
    masks[0] = 0;
    totals[0] = 0;
    int level = 0, i = 0;
    for (;;) {
        if (i >= n) {
            if (level == 0) break;
            level -= 1;
            i = chosen[level] + 1;
            continue;
        }
        chosen[level] = i;
        const float w = b->weights[i];
        masks[level + 1] = masks[level] | (1u << i);
        totals[level + 1] = totals[level] + (double)w;
        const float s = totals[level + 1] > 0 ? (float)(1.0 / totals[level + 1]) : 0.0f;
        // V = V_parent + w·(delta i's dense layer), combined = base dense layer + s·V, in one pass.
        float *sums = b->denseSums + (size_t)level * denseCount, *combined = b->denseCombined;
        const float *delta = b->dense + (size_t)(i + 1) * denseCount, *parentSums = level == 0 ? NULL : sums - denseCount;
        for (size_t k = 0; k < denseCount; k++) {
            const float v = (parentSums ? parentSums[k] : 0.0f) + w * delta[k];
            sums[k] = v;
            combined[k] = b->dense[k] + s * v;
        }
        const float *parent = level == 0 ? zeros : b->sums + (size_t)(level - 1) * layout;
        const float *member = b->outputs + (size_t)i * layout;
        if (i + 1 < n) {
            subset_pass(b, classes, 1, masks[level + 1], parent, member, b->sums + (size_t)level * layout, s, b->denseCombined);
            level += 1;
        } else {
            subset_pass(b, classes, 0, masks[level + 1], parent, member, NULL, s, b->denseCombined);
        }
        i += 1;
    }
}

__attribute__((target("avx2,fma"))) static void run_avx2(const fedattr_sweep_block *b) {
    if (b->classes == 10) run_block(b, 10); else run_block(b, b->classes);
}

static void run_baseline(const fedattr_sweep_block *b) {
    if (b->classes == 10) run_block(b, 10); else run_block(b, b->classes);
}

int fedattr_sweep_uses_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

void fedattr_sweep_block_run(const fedattr_sweep_block *b) {
    static int variant = -1;   // benign race: every thread computes the same value
    if (variant < 0) variant = fedattr_sweep_uses_avx2();
    if (variant) run_avx2(b); else run_baseline(b);
}
