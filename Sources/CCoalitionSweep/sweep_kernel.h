// The sweep kernel's body, included by sweep.c once per vector width: KERNEL_LANES rows per vector (8: SSE2 and
// AVX2 variants, 16: AVX-512), with every name passed through KERNEL(name) so the instances do not collide.
#define vf KERNEL(vf)
#define vi KERNEL(vi)
#define loadv KERNEL(loadv)
#define storev KERNEL(storev)
#define loadvi KERNEL(loadvi)
#define splat KERNEL(splat)
#define selectv KERNEL(selectv)
#define maxv KERNEL(maxv)
#define minv KERNEL(minv)
#define subset_pass KERNEL(subset_pass)
#define run_block KERNEL(run_block)

typedef float vf __attribute__((vector_size(KERNEL_LANES * 4)));
typedef int32_t vi __attribute__((vector_size(KERNEL_LANES * 4)));

INLINE vf loadv(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
INLINE void storev(float *p, vf v) { memcpy(p, &v, sizeof v); }
INLINE vi loadvi(const int32_t *p) { vi v; memcpy(&v, p, sizeof v); return v; }
INLINE vf splat(float x) { vf v; for (int i = 0; i < KERNEL_LANES; i++) v[i] = x; return v; }
INLINE vf selectv(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }
INLINE vf maxv(vf a, vf b) { return selectv(a > b, a, b); }
INLINE vf minv(vf a, vf b) { return selectv(a < b, a, b); }

// Evaluates one subset on the block: T = parent + member (the member's weighted output; stored when `storing`),
// z = relu(base + s·T), logits = z·W + b with the combined dense layer `dense`, then the accuracy count / tie flag or
// the loss sum.
INLINE void subset_pass(const fedattr_sweep_block *b, const int classes, const int storing, uint32_t mask,
                        const float *parent, const float *member, float *store, float s, const float *dense) {
    const int hidden = b->hidden, groups = b->rows / KERNEL_LANES;
    const vf sv = splat(s), zero = splat(0);
    const float *bias = dense + (size_t)hidden * classes;
    int32_t correct = 0;
    int tied = 0;
    double loss = 0;
    for (int g = 0; g < groups; g++) {
        const size_t first = (size_t)g * hidden * KERNEL_LANES;
        vf acc[FEDATTR_SWEEP_MAX_CLASSES];
        for (int c = 0; c < classes; c++) acc[c] = splat(bias[c]);
        for (int h = 0; h < hidden; h++) {
            const size_t o = first + (size_t)h * KERNEL_LANES;
            const vf t = loadv(parent + o) + loadv(member + o);
            if (storing) storev(store + o, t);
            vf z = loadv(b->base + o) + sv * t;
            z = (vf)((vi)z & (z > zero));
            const float *row = dense + (size_t)h * classes;
            for (int c = 0; c < classes; c++) acc[c] += z * splat(row[c]);
        }
        const vi labels = loadvi(b->labels + g * KERNEL_LANES);
        if (b->losses) {
            float logits[FEDATTR_SWEEP_MAX_CLASSES][KERNEL_LANES];
            for (int c = 0; c < classes; c++) storev(logits[c], acc[c]);
            for (int l = 0; l < KERNEL_LANES; l++) {
                const int label = labels[l];
                if (label < 0) continue;
                float top = logits[0][l];
                for (int c = 1; c < classes; c++) if (logits[c][l] > top) top = logits[c][l];
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += exp((double)logits[c][l] - (double)top);
                loss += log(sum) + (double)top - (double)logits[label][l];
            }
        } else {
            vf top = acc[0], second = splat(-INFINITY), labelLogit = selectv(labels == 0, acc[0], splat(-INFINITY));
            for (int c = 1; c < classes; c++) {
                second = maxv(second, minv(top, acc[c]));
                top = maxv(top, acc[c]);
                labelLogit = selectv(labels == c, acc[c], labelLogit);
            }
            const vf magnitude = maxv(splat(1), (vf)((vi)top & ~(vi)splat(-0.0f)));   // max(1, |top|)
            const vi clear = (top - second) > splat(b->margin) * magnitude;   // false for NaN too
            const vi valid = labels >= 0;
            const vi hit = (labelLogit == top) & clear & valid;
            const vi near = ~clear & valid;
            for (int l = 0; l < KERNEL_LANES; l++) {
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

#undef vf
#undef vi
#undef loadv
#undef storev
#undef loadvi
#undef splat
#undef selectv
#undef maxv
#undef minv
#undef subset_pass
#undef run_block
