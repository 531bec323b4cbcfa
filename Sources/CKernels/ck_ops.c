// Public element-wise and row operations, built on the active instruction set's canonical primitives.
#include "ck_internal.h"
#include <math.h>

float ck_dot(const float *a, const float *b, size_t n) { return ck_isa()->dot(a, b, n); }

float ck_expf(float x) {
    float y;
    ck_isa()->exp(&x, &y, 1);
    return y;
}

void ck_rmsnorm(const float *x, const float *w, float *out, size_t n, float eps) {
    float ss = ck_isa()->dot(x, x, n);
    float scale = 1.0f / sqrtf(ss / (float)n + eps);
    for (size_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void ck_add(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = x[i] + y[i];
}

void ck_softmax(float *x, size_t n) {
    if (n == 0) return;
    float max = x[0];
    for (size_t i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
    for (size_t i = 0; i < n; i++) x[i] = x[i] - max;
    const ck_isa_table *isa = ck_isa();
    isa->exp(x, x, n);
    float inv = 1.0f / isa->sum(x, n);
    for (size_t i = 0; i < n; i++) x[i] = x[i] * inv;
}

void ck_swiglu(const float *gate, const float *up, float *out, size_t n) { ck_isa()->swiglu(gate, up, out, n); }

long ck_argmax(const float *x, size_t n) {
    if (n == 0) return -1;
    size_t best = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != x[i]) return -1;
        if (x[i] > x[best]) best = i;
    }
    return (long)best;
}

size_t ck_count_nonfinite(const float *x, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += !isfinite(x[i]);
    return bad;
}

void ck_rope(float *x, size_t nheads, size_t head_dim, const float *cos_t, const float *sin_t, int interleaved) {
    size_t half = head_dim / 2;
    for (size_t h = 0; h < nheads; h++) {
        float *v = x + h * head_dim;
        for (size_t i = 0; i < half; i++) {
            size_t a = interleaved ? 2 * i : i, b = interleaved ? 2 * i + 1 : i + half;
            float x0 = v[a], x1 = v[b], c = cos_t[i], s = sin_t[i];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
    }
}
