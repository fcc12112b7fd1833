// The dense kernel's body, included by dense.c once per vector width: KERNEL_LANES floats per vector, tiles of
// TILE_ROWS rows (forward) or input units (gradient) by TILE_VECTORS vectors of columns; names pass through KERNEL(name).
#define vf KERNEL(vf)
#define loadv KERNEL(loadv)
#define storev KERNEL(storev)
#define splat KERNEL(splat)
#define forward_tile KERNEL(forward_tile)
#define gradient_tile KERNEL(gradient_tile)
#define forward_all KERNEL(forward_all)
#define gradient_all KERNEL(gradient_all)

typedef float vf __attribute__((vector_size(KERNEL_LANES * 4)));

INLINE vf loadv(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
INLINE void storev(float *p, vf v) { memcpy(p, &v, sizeof v); }
INLINE vf splat(float x) { vf v; for (int i = 0; i < KERNEL_LANES; i++) v[i] = x; return v; }

// `count` (≤ TILE_ROWS) rows starting at rows[0], columns j..j+TILE_VECTORS·lanes.
INLINE void forward_tile(const float *const *rows, const int count, const int inputs, const int outputs,
                         const float *weights, const float *bias, float *y, const int j) {
    vf acc[TILE_ROWS][TILE_VECTORS];
    for (int q = 0; q < TILE_VECTORS; q++) {
        const vf b = loadv(bias + j + q * KERNEL_LANES);
        for (int i = 0; i < count; i++) acc[i][q] = b;
    }
    const float *w = weights + j;
    for (int k = 0; k < inputs; k++, w += outputs) {
        vf wq[TILE_VECTORS];
        for (int q = 0; q < TILE_VECTORS; q++) wq[q] = loadv(w + q * KERNEL_LANES);
        for (int i = 0; i < count; i++) {
            const vf x = splat(rows[i][k]);
            for (int q = 0; q < TILE_VECTORS; q++) acc[i][q] = __builtin_elementwise_fma(x, wq[q], acc[i][q]);
        }
    }
    for (int i = 0; i < count; i++)
        for (int q = 0; q < TILE_VECTORS; q++) storev(y + (size_t)i * outputs + j + q * KERNEL_LANES, acc[i][q]);
}

// `count` (≤ TILE_ROWS) input units k..k+count, columns j..j+TILE_VECTORS·lanes.
INLINE void gradient_tile(const float *const *rows, const int batch, const int count, const int outputs,
                          const float *dy, const float alpha, const float beta, float *gradient, const int k, const int j) {
    vf acc[TILE_ROWS][TILE_VECTORS];
    for (int i = 0; i < count; i++)
        for (int q = 0; q < TILE_VECTORS; q++) acc[i][q] = splat(0);
    for (int r = 0; r < batch; r++) {
        const float *d = dy + (size_t)r * outputs + j;
        const float *x = rows[r] + k;
        vf dq[TILE_VECTORS];
        for (int q = 0; q < TILE_VECTORS; q++) dq[q] = loadv(d + q * KERNEL_LANES);
        for (int i = 0; i < count; i++) {
            const vf xv = splat(x[i]);
            for (int q = 0; q < TILE_VECTORS; q++) acc[i][q] = __builtin_elementwise_fma(xv, dq[q], acc[i][q]);
        }
    }
    const vf a = splat(alpha), b = splat(beta);
    for (int i = 0; i < count; i++)
        for (int q = 0; q < TILE_VECTORS; q++) {
            float *g = gradient + (size_t)(k + i) * outputs + j + q * KERNEL_LANES;
            storev(g, beta == 0 ? a * acc[i][q] : __builtin_elementwise_fma(a, acc[i][q], b * loadv(g)));
        }
}

// Column tiles outermost, so a tile's weights (inputs × TILE_VECTORS vectors) stay in cache for every row tile.
INLINE void forward_all(const float *const *rows, int batch, int inputs, int outputs,
                        const float *weights, const float *bias, float *y) {
    for (int j = 0; j < outputs; j += TILE_VECTORS * KERNEL_LANES) {
        int r = 0;
        for (; r + TILE_ROWS <= batch; r += TILE_ROWS)
            forward_tile(rows + r, TILE_ROWS, inputs, outputs, weights, bias, y + (size_t)r * outputs, j);
        switch (batch - r) {   // constant counts, so each remainder loop is unrolled like the full tile
#define REMAINDER(n) case n: forward_tile(rows + r, n, inputs, outputs, weights, bias, y + (size_t)r * outputs, j); break;
        REMAINDERS
#undef REMAINDER
        default: break;
        }
    }
}

INLINE void gradient_all(const float *const *rows, int batch, int inputs, int outputs,
                         const float *dy, float alpha, float beta, float *gradient) {
    for (int j = 0; j < outputs; j += TILE_VECTORS * KERNEL_LANES) {
        int k = 0;
        for (; k + TILE_ROWS <= inputs; k += TILE_ROWS)
            gradient_tile(rows, batch, TILE_ROWS, outputs, dy, alpha, beta, gradient, k, j);
        switch (inputs - k) {
#define REMAINDER(n) case n: gradient_tile(rows, batch, n, outputs, dy, alpha, beta, gradient, k, j); break;
        REMAINDERS
#undef REMAINDER
        default: break;
        }
    }
}

#undef vf
#undef loadv
#undef storev
#undef splat
#undef forward_tile
#undef gradient_tile
#undef forward_all
#undef gradient_all
