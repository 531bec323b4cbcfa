// The AVX2 + FMA path: the canonical 16 lanes are two ymm registers (lanes 0-7 and 8-15). Bitwise equal to
// ck_portable.c.
#include "ck_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

#define INLINE static inline __attribute__((always_inline))

/// Sixteen lanes as two halves.
typedef struct { __m256 lo, hi; } v16;

INLINE float fold(v16 acc) {
    __m256 s8 = _mm256_add_ps(acc.lo, acc.hi);
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

INLINE v16 zero16(void) { return (v16){_mm256_setzero_ps(), _mm256_setzero_ps()}; }
INLINE v16 load16(const float *p) { return (v16){_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
INLINE void store16(float *p, v16 v) { _mm256_storeu_ps(p, v.lo); _mm256_storeu_ps(p + 8, v.hi); }
INLINE v16 fma16(v16 a, v16 b, v16 c) { return (v16){_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)}; }

/// Lane masks (all ones in the first len lanes) for a tail of len < 16.
typedef struct { __m256i lo, hi; } m16;
INLINE m16 tail_mask(size_t len) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256i n = _mm256_set1_epi32((int)len);
    return (m16){_mm256_cmpgt_epi32(n, idx), _mm256_cmpgt_epi32(n, _mm256_add_epi32(idx, _mm256_set1_epi32(8)))};
}
INLINE v16 maskload16(const float *p, m16 m) {
    return (v16){_mm256_maskload_ps(p, m.lo), _mm256_maskload_ps(p + 8, m.hi)};
}
INLINE void maskstore16(float *p, m16 m, v16 v) { _mm256_maskstore_ps(p, m.lo, v.lo); _mm256_maskstore_ps(p + 8, m.hi, v.hi); }
/// Lanes in the mask take `new`, the others keep `old`.
INLINE v16 select16(m16 m, v16 new, v16 old) {
    return (v16){_mm256_blendv_ps(old.lo, new.lo, _mm256_castsi256_ps(m.lo)),
                 _mm256_blendv_ps(old.hi, new.hi, _mm256_castsi256_ps(m.hi))};
}

float ck_dot_avx2(const float *a, const float *b, size_t n) {
    v16 acc = zero16();
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) acc = fma16(load16(a + k), load16(b + k), acc);
    if (k < n) {
        m16 m = tail_mask(n - k);
        acc = select16(m, fma16(maskload16(a + k, m), maskload16(b + k, m), acc), acc);
    }
    return fold(acc);
}

void ck_dot4_avx2(const float *a, const float *const *b, size_t n, float *out) {
    for (int j = 0; j < 4; j++) out[j] = ck_dot_avx2(a, b[j], n);
}

float ck_sum_avx2(const float *a, size_t n) {
    v16 acc = zero16();
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) {
        v16 v = load16(a + k);
        acc = (v16){_mm256_add_ps(acc.lo, v.lo), _mm256_add_ps(acc.hi, v.hi)};
    }
    if (k < n) {
        m16 m = tail_mask(n - k);
        v16 v = maskload16(a + k, m);
        acc = select16(m, (v16){_mm256_add_ps(acc.lo, v.lo), _mm256_add_ps(acc.hi, v.hi)}, acc);
    }
    return fold(acc);
}

INLINE __m256 exp8(__m256 x) {
    const __m256 hi = _mm256_set1_ps(CK_EXP_HI), lo = _mm256_set1_ps(CK_EXP_LO);
    __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(CK_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_LN2_HI), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(CK_LN2_LO), r);
    __m256 p = _mm256_set1_ps(CK_EXP_C7);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_C6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(CK_EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    __m256 res = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    res = _mm256_blendv_ps(res, _mm256_set1_ps(__builtin_inff()), _mm256_cmp_ps(x, hi, _CMP_GT_OQ));
    res = _mm256_blendv_ps(res, _mm256_setzero_ps(), _mm256_cmp_ps(x, lo, _CMP_LT_OQ));
    res = _mm256_blendv_ps(res, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    return res;
}

INLINE __m256 swiglu8(__m256 g, __m256 u) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

// Element-wise work has no reduction, so 8 lanes at a time give the same values as any other width.
void ck_exp_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        m16 m = tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m.lo, exp8(_mm256_maskload_ps(x + i, m.lo)));
    }
}

void ck_swiglu_avx2(const float *gate, const float *up, float *out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {
        m16 m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m.lo, swiglu8(_mm256_maskload_ps(gate + i, m.lo), _mm256_maskload_ps(up + i, m.lo)));
    }
}

void ck_axpy_avx2(float a, const float *x, float *y, size_t n) {
    v16 va = {_mm256_set1_ps(a), _mm256_set1_ps(a)};
    size_t i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES) store16(y + i, fma16(va, load16(x + i), load16(y + i)));
    if (i < n) {
        m16 m = tail_mask(n - i);
        maskstore16(y + i, m, fma16(va, maskload16(x + i, m), maskload16(y + i, m)));
    }
}

// MARK: - Matrix product tiles

INLINE v16 load_w(int enc, const uint8_t *row, size_t kk) {
    if (enc == CK_WEIGHT_Q8_0) {
        const uint8_t *blk = row + (kk / CK_QBLOCK) * 34 + 2 + (kk % CK_QBLOCK);
        __m256 d = _mm256_set1_ps(ck_half_to_float(ck_load_u16(row + (kk / CK_QBLOCK) * 34)));
        __m256i q0 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)blk));
        __m256i q1 = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(blk + 8)));
        return (v16){_mm256_mul_ps(d, _mm256_cvtepi32_ps(q0)), _mm256_mul_ps(d, _mm256_cvtepi32_ps(q1))};
    }
    if (enc == CK_WEIGHT_Q4_1) {
        const uint8_t *blk = row + (kk / CK_QBLOCK) * 20;
        __m256 d = _mm256_set1_ps(ck_half_to_float(ck_load_u16(blk)));
        __m256 m = _mm256_set1_ps(ck_half_to_float(ck_load_u16(blk + 2)));
        __m128i q = _mm_loadu_si128((const __m128i *)(blk + 4));
        if (kk % CK_QBLOCK) q = _mm_srli_epi16(q, 4);
        q = _mm_and_si128(q, _mm_set1_epi8(0x0f));
        __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(q));
        __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(q, 8)));
        return (v16){_mm256_add_ps(_mm256_mul_ps(d, f0), m), _mm256_add_ps(_mm256_mul_ps(d, f1), m)};
    }
    return load16((const float *)row + kk);
}

void ck_dequantize_avx2(int encoding, const void *src, float *dst, size_t k) {
    if (encoding == CK_WEIGHT_F32) {
        memcpy(dst, src, k * sizeof(float));
        return;
    }
    for (size_t kk = 0; kk < k; kk += CK_LANES) {
        v16 v = encoding == CK_WEIGHT_Q8_0 ? load_w(CK_WEIGHT_Q8_0, src, kk) : load_w(CK_WEIGHT_Q4_1, src, kk);
        store16(dst + kk, v);
    }
}

/// An R×C tile (R, C ≤ 2), every element in canonical order.
INLINE void tile(int enc, const uint8_t *w, size_t ldw, const float *x, size_t ldx, float *y, size_t ldy, size_t k,
                 const int R, const int C) {
    v16 acc[2][2];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = zero16();
    size_t kk = 0;
    for (; kk + CK_LANES <= k; kk += CK_LANES) {
        v16 wv[2];
        for (int r = 0; r < R; r++) wv[r] = load_w(enc, w + r * ldw, kk);
        for (int c = 0; c < C; c++) {
            v16 xv = load16(x + c * ldx + kk);
            for (int r = 0; r < R; r++) acc[r][c] = fma16(wv[r], xv, acc[r][c]);
        }
    }
    if (kk < k) {  // only float rows have a tail
        m16 m = tail_mask(k - kk);
        for (int c = 0; c < C; c++) {
            v16 xv = maskload16(x + c * ldx + kk, m);
            for (int r = 0; r < R; r++) {
                v16 wv = maskload16((const float *)(w + r * ldw) + kk, m);
                acc[r][c] = select16(m, fma16(wv, xv, acc[r][c]), acc[r][c]);
            }
        }
    }
    for (int c = 0; c < C; c++)
        for (int r = 0; r < R; r++) y[c * ldy + r] = fold(acc[r][c]);
}

INLINE void rows_enc(const int enc, const void *w, size_t w_row_bytes, size_t r0, size_t r1, size_t k,
                     const float *x, size_t ldx, size_t ntok, float *y, size_t ldy) {
    for (size_t r = r0; r < r1; r += 2) {
        const uint8_t *wr = (const uint8_t *)w + r * w_row_bytes;
        int two_rows = r1 - r >= 2;
        for (size_t t = 0; t < ntok; t += 2) {
            int two_toks = ntok - t >= 2;
            const float *xt = x + t * ldx;
            float *yt = y + t * ldy + r;
            if (two_rows && two_toks) tile(enc, wr, w_row_bytes, xt, ldx, yt, ldy, k, 2, 2);
            else if (two_rows) tile(enc, wr, w_row_bytes, xt, ldx, yt, ldy, k, 2, 1);
            else if (two_toks) tile(enc, wr, w_row_bytes, xt, ldx, yt, ldy, k, 1, 2);
            else tile(enc, wr, w_row_bytes, xt, ldx, yt, ldy, k, 1, 1);
        }
    }
}

void ck_matmul_rows_avx2(int encoding, const void *w, size_t w_row_bytes, size_t r0, size_t r1, size_t k,
                         const float *x, size_t ldx, size_t ntok, float *y, size_t ldy) {
    switch (encoding) {
    case CK_WEIGHT_Q8_0: rows_enc(CK_WEIGHT_Q8_0, w, w_row_bytes, r0, r1, k, x, ldx, ntok, y, ldy); break;
    case CK_WEIGHT_Q4_1: rows_enc(CK_WEIGHT_Q4_1, w, w_row_bytes, r0, r1, k, x, ldx, ntok, y, ldy); break;
    default: rows_enc(CK_WEIGHT_F32, w, w_row_bytes, r0, r1, k, x, ldx, ntok, y, ldy); break;
    }
}

#pragma clang attribute pop
