// The portable path: plain C with fmaf, performing exactly the canonical operations (see ckernels.h). It runs on
// any CPU and is the model the vector paths must match bit for bit.
#include "ck_internal.h"
#include <math.h>

float ck_dot_portable(const float *a, const float *b, size_t n) {
    float acc[CK_LANES] = {0};
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) {
        for (int l = 0; l < CK_LANES; l++) acc[l] = fmaf(a[k + l], b[k + l], acc[l]);
    }
    for (int l = 0; k + (size_t)l < n; l++) acc[l] = fmaf(a[k + l], b[k + l], acc[l]);
    return ck_fold16(acc);
}

void ck_dot4_portable(const float *a, const float *const *b, size_t n, float *out) {
    for (int j = 0; j < 4; j++) out[j] = ck_dot_portable(a, b[j], n);
}

float ck_sum_portable(const float *a, size_t n) {
    float acc[CK_LANES] = {0};
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) {
        for (int l = 0; l < CK_LANES; l++) acc[l] = acc[l] + a[k + l];
    }
    for (int l = 0; k + (size_t)l < n; l++) acc[l] = acc[l] + a[k + l];
    return ck_fold16(acc);
}

/// The canonical exponential of one value (ckernels.h).
static float ck_exp1(float x) {
    if (x != x) return x;
    if (x > CK_EXP_HI) return INFINITY;
    if (x < CK_EXP_LO) return 0.0f;
    float n = rintf(x * CK_LOG2E);
    float r = fmaf(-n, CK_LN2_HI, x);
    r = fmaf(-n, CK_LN2_LO, r);
    float p = CK_EXP_C7;
    p = fmaf(p, r, CK_EXP_C6);
    p = fmaf(p, r, CK_EXP_C5);
    p = fmaf(p, r, CK_EXP_C4);
    p = fmaf(p, r, CK_EXP_C3);
    p = fmaf(p, r, CK_EXP_C2);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    int ni = (int)n;
    int n1 = ni >> 1, n2 = ni - n1;  // two exact power-of-two scalings keep 2^128 representable in steps
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    return (p * s1) * s2;
}

void ck_exp_portable(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = ck_exp1(x[i]);
}

void ck_swiglu_portable(const float *gate, const float *up, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float g = gate[i];
        float s = g / (1.0f + ck_exp1(-g));
        out[i] = s * up[i];
    }
}

void ck_axpy_portable(float a, const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = fmaf(a, x[i], y[i]);
}

/// Expands `count` weights of a row starting at weight index `start` (a multiple of 16 for quantised rows).
static void expand(int encoding, const void *row, size_t start, size_t count, float *out) {
    if (encoding == CK_WEIGHT_F32) {
        memcpy(out, (const float *)row + start, count * sizeof(float));
        return;
    }
    const uint8_t *bytes = row;
    for (size_t i = 0; i < count; i++) {
        size_t j = start + i, b = j / CK_QBLOCK, e = j % CK_QBLOCK;
        if (encoding == CK_WEIGHT_Q8_0) {
            const uint8_t *blk = bytes + b * 34;
            float d = ck_half_to_float(ck_load_u16(blk));
            out[i] = d * (float)(int8_t)blk[2 + e];
        } else {
            const uint8_t *blk = bytes + b * 20;
            float d = ck_half_to_float(ck_load_u16(blk));
            float m = ck_half_to_float(ck_load_u16(blk + 2));
            uint8_t q = e < 16 ? (blk[4 + e] & 0x0f) : (blk[4 + e - 16] >> 4);
            out[i] = d * (float)q + m;
        }
    }
}

void ck_matmul_rows_portable(int encoding, const void *w, size_t w_row_bytes, size_t r0, size_t r1, size_t k,
                             const float *x, size_t ldx, size_t ntok, float *y, size_t ldy) {
    float wv[CK_LANES];
    for (size_t r = r0; r < r1; r++) {
        const void *row = (const uint8_t *)w + r * w_row_bytes;
        for (size_t t = 0; t < ntok; t++) {
            const float *xt = x + t * ldx;
            float acc[CK_LANES] = {0};
            for (size_t kk = 0; kk < k; kk += CK_LANES) {
                size_t len = k - kk < CK_LANES ? k - kk : CK_LANES;
                expand(encoding, row, kk, len, wv);
                for (size_t l = 0; l < len; l++) acc[l] = fmaf(wv[l], xt[kk + l], acc[l]);
            }
            y[t * ldy + r] = ck_fold16(acc);
        }
    }
}

void ck_dequantize_portable(int encoding, const void *src, float *dst, size_t k) { expand(encoding, src, 0, k, dst); }

void ck_dequantize_row(int encoding, const void *src, float *dst, size_t k) { ck_isa()->dequantize(encoding, src, dst, k); }

size_t ck_row_bytes(int encoding, size_t k) {
    switch (encoding) {
    case CK_WEIGHT_Q8_0: return k / CK_QBLOCK * 34;
    case CK_WEIGHT_Q4_1: return k / CK_QBLOCK * 20;
    default: return k * sizeof(float);
    }
}
