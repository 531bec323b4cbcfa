// Private to CKernels: the per-instruction-set entry points behind the public dispatchers, and shared helpers.
#pragma once
#include "ckernels.h"
#include <string.h>

// Products and sums must round separately (d·q + m is two roundings, not one fused multiply-add), so that every
// path, vector or scalar, performs the same IEEE operations.
#pragma STDC FP_CONTRACT OFF

/// Lanes of the canonical accumulator (see ckernels.h).
#define CK_LANES 16
/// Weights per GGML quantisation block.
#define CK_QBLOCK 32

/// Converts an IEEE half to float exactly (no rounding is involved).
static inline float ck_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else {  // subnormal half: normalise
            int e = -1;
            do { man <<= 1; e++; } while ((man & 0x400u) == 0);
            man &= 0x3ffu;
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline uint16_t ck_load_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/// Folds 16 lane sums in the canonical tree: l + l+8, then + 4, + 2, + 1.
static inline float ck_fold16(const float *acc) {
    float s8[8], s4[4], s2[2];
    for (int i = 0; i < 8; i++) s8[i] = acc[i] + acc[i + 8];
    for (int i = 0; i < 4; i++) s4[i] = s8[i] + s8[i + 4];
    for (int i = 0; i < 2; i++) s2[i] = s4[i] + s4[i + 2];
    return s2[0] + s2[1];
}

// The canonical exponential's constants (shared by every path).
#define CK_EXP_HI 88.72283935546875f      // above: +inf
#define CK_EXP_LO (-87.33654022216797f)   // below: 0
#define CK_LOG2E 1.44269502162933349609f
#define CK_LN2_HI 0.693145751953125f      // ln 2 split so that n·LN2_HI is exact for |n| < 2^9
#define CK_LN2_LO 1.42860676533018946e-06f
#define CK_EXP_C7 (1.0f / 5040.0f)
#define CK_EXP_C6 (1.0f / 720.0f)
#define CK_EXP_C5 (1.0f / 120.0f)
#define CK_EXP_C4 (1.0f / 24.0f)
#define CK_EXP_C3 (1.0f / 6.0f)
#define CK_EXP_C2 0.5f

// Per-instruction-set kernels. Each computes exactly the canonical results described in ckernels.h.
#define CK_DECLARE_ISA(isa)                                                                                    \
    float ck_dot_##isa(const float *a, const float *b, size_t n);                                             \
    float ck_sum_##isa(const float *a, size_t n);                                                             \
    void ck_dot4_##isa(const float *a, const float *const *b, size_t n, float *out);                          \
    void ck_exp_##isa(const float *x, float *y, size_t n);                                                    \
    void ck_swiglu_##isa(const float *gate, const float *up, float *out, size_t n);                           \
    void ck_axpy_##isa(float a, const float *x, float *y, size_t n);                                          \
    void ck_dequantize_##isa(int encoding, const void *src, float *dst, size_t k);                            \
    void ck_matmul_rows_##isa(int encoding, const void *w, size_t w_row_bytes, size_t r0, size_t r1, size_t k, \
                              const float *x, size_t ldx, size_t ntok, float *y, size_t ldy);

CK_DECLARE_ISA(portable)
CK_DECLARE_ISA(avx2)
CK_DECLARE_ISA(avx512)

/// The active level's kernels.
typedef struct ck_isa_table {
    float (*dot)(const float *, const float *, size_t);
    float (*sum)(const float *, size_t);
    /// Four canonical dots of a with b[0..3], into out[0..3].
    void (*dot4)(const float *, const float *const *, size_t, float *);
    void (*exp)(const float *, float *, size_t);
    void (*swiglu)(const float *, const float *, float *, size_t);
    void (*axpy)(float, const float *, float *, size_t);
    /// Expands one row (ck_dequantize_row).
    void (*dequantize)(int, const void *, float *, size_t);
    void (*matmul_rows)(int, const void *, size_t, size_t, size_t, size_t, const float *, size_t, size_t, float *,
                        size_t);
} ck_isa_table;

/// The table for the active level.
const ck_isa_table *ck_isa(void);
