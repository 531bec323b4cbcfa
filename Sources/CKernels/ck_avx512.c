// The AVX-512 path: the canonical 16 lanes are one zmm register. Bitwise equal to ck_portable.c.
#include "ck_internal.h"
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c"))), \
                             apply_to = function)

#define INLINE static inline __attribute__((always_inline))

INLINE float fold(__m512 acc) {
    __m256 lo = _mm512_castps512_ps256(acc);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1));
    __m256 s8 = _mm256_add_ps(lo, hi);
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    return _mm_cvtss_f32(s1);
}

/// Folds four accumulators at once, pairing lanes exactly as fold() does (l + l+8, + 4, + 2, + 1): the same
/// additions, so the same bits, in about half the instructions.
INLINE __m128 fold4(__m512 a, __m512 b, __m512 c, __m512 d) {
    __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)));
    __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(1, 0, 1, 0)), _mm512_shuffle_f32x4(c, d, _MM_SHUFFLE(3, 2, 3, 2)));
    // ab = [a l+8 sums 0-3 | 4-7 | b 0-3 | 4-7]; now each 128-bit quarter holds one accumulator's 4 partial sums.
    __m512 s4 = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_f32x4(ab, cd, _MM_SHUFFLE(3, 1, 3, 1)));
    __m512 s2 = _mm512_add_ps(s4, _mm512_permute_ps(s4, _MM_SHUFFLE(1, 0, 3, 2)));
    __m512 s1 = _mm512_add_ps(s2, _mm512_permute_ps(s2, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s1));
}

INLINE __mmask16 tail_mask(size_t len) { return (__mmask16)((1u << len) - 1u); }

float ck_dot_avx512(const float *a, const float *b, size_t n) {
    __m512 acc = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + k), _mm512_loadu_ps(b + k), acc);
    if (k < n) {
        __mmask16 m = tail_mask(n - k);
        acc = _mm512_mask3_fmadd_ps(_mm512_maskz_loadu_ps(m, a + k), _mm512_maskz_loadu_ps(m, b + k), acc, m);
    }
    return fold(acc);
}

void ck_dot4_avx512(const float *a, const float *const *b, size_t n, float *out) {
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) {
        __m512 av = _mm512_loadu_ps(a + k);
        for (int j = 0; j < 4; j++) acc[j] = _mm512_fmadd_ps(av, _mm512_loadu_ps(b[j] + k), acc[j]);
    }
    if (k < n) {
        __mmask16 m = tail_mask(n - k);
        __m512 av = _mm512_maskz_loadu_ps(m, a + k);
        for (int j = 0; j < 4; j++) acc[j] = _mm512_mask3_fmadd_ps(av, _mm512_maskz_loadu_ps(m, b[j] + k), acc[j], m);
    }
    _mm_storeu_ps(out, fold4(acc[0], acc[1], acc[2], acc[3]));
}

float ck_sum_avx512(const float *a, size_t n) {
    __m512 acc = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + CK_LANES <= n; k += CK_LANES) acc = _mm512_add_ps(acc, _mm512_loadu_ps(a + k));
    if (k < n) {
        __mmask16 m = tail_mask(n - k);
        acc = _mm512_mask_add_ps(acc, m, acc, _mm512_maskz_loadu_ps(m, a + k));
    }
    return fold(acc);
}

INLINE __m512 exp16(__m512 x) {
    const __m512 hi = _mm512_set1_ps(CK_EXP_HI), lo = _mm512_set1_ps(CK_EXP_LO);
    __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(CK_LOG2E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_LN2_HI), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(CK_LN2_LO), r);
    __m512 p = _mm512_set1_ps(CK_EXP_C7);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_C6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(CK_EXP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    __m512i ni = _mm512_cvtps_epi32(n);
    __m512i n1 = _mm512_srai_epi32(ni, 1);
    __m512i n2 = _mm512_sub_epi32(ni, n1);
    const __m512i bias = _mm512_set1_epi32(127);
    __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
    __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
    __m512 res = _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
    res = _mm512_mask_mov_ps(res, _mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), _mm512_set1_ps(__builtin_inff()));
    res = _mm512_mask_mov_ps(res, _mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), _mm512_setzero_ps());
    res = _mm512_mask_mov_ps(res, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
    return res;
}

void ck_exp_avx512(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES) _mm512_storeu_ps(y + i, exp16(_mm512_loadu_ps(x + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, exp16(_mm512_maskz_loadu_ps(m, x + i)));
    }
}

INLINE __m512 swiglu16(__m512 g, __m512 u) {
    __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
    __m512 s = _mm512_div_ps(g, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
    return _mm512_mul_ps(s, u);
}

void ck_swiglu_avx512(const float *gate, const float *up, float *out, size_t n) {
    size_t i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES)
        _mm512_storeu_ps(out + i, swiglu16(_mm512_loadu_ps(gate + i), _mm512_loadu_ps(up + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, swiglu16(_mm512_maskz_loadu_ps(m, gate + i), _mm512_maskz_loadu_ps(m, up + i)));
    }
}

void ck_axpy_avx512(float a, const float *x, float *y, size_t n) {
    __m512 va = _mm512_set1_ps(a);
    size_t i = 0;
    for (; i + CK_LANES <= n; i += CK_LANES)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

// MARK: - Matrix product tiles

/// A block's f16 field as float (F16C; exact, like ck_half_to_float).
INLINE float half_at(const uint8_t *p) { return _cvtsh_ss(ck_load_u16(p)); }

/// The 32 weights of one quantised block as two vectors of 16. d·q is exact in f32 (an 11-bit scale times an
/// integer of at most 8 bits), so fma(d, q, m) rounds exactly once, like the portable d·q + m.
INLINE void load_block(int enc, const uint8_t *blk, __m512 *lo, __m512 *hi) {
    if (enc == CK_WEIGHT_Q8_0) {
        __m512 d = _mm512_set1_ps(half_at(blk));
        __m256i q = _mm256_loadu_si256((const __m256i *)(blk + 2));
        *lo = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q))));
        *hi = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1))));
    } else {
        // All 16 values a nibble can stand for, then a permute by nibble picks them.
        const __m512 steps = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        __m512 table = _mm512_fmadd_ps(_mm512_set1_ps(half_at(blk)), steps, _mm512_set1_ps(half_at(blk + 2)));
        __m512i bytes = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + 4)));
        *lo = _mm512_permutexvar_ps(bytes, table);  // uses the low 4 bits: the low nibble
        *hi = _mm512_permutexvar_ps(_mm512_srli_epi32(bytes, 4), table);
    }
}

void ck_dequantize_avx512(int encoding, const void *src, float *dst, size_t k) {
    if (encoding == CK_WEIGHT_F32) {
        memcpy(dst, src, k * sizeof(float));
        return;
    }
    size_t block_bytes = encoding == CK_WEIGHT_Q8_0 ? 34 : 20;
    for (size_t kk = 0; kk < k; kk += CK_QBLOCK) {
        __m512 lo, hi;
        load_block(encoding, (const uint8_t *)src + (kk / CK_QBLOCK) * block_bytes, &lo, &hi);
        _mm512_storeu_ps(dst + kk, lo);
        _mm512_storeu_ps(dst + kk + 16, hi);
    }
}

/// An R×C tile of float rows: R weight rows against C tokens, every element in canonical order.
INLINE void tile_f32(const float *w, size_t ldw, const float *x, size_t ldx, float *y, size_t ldy, size_t k,
                     const int R, const int C) {
    __m512 acc[4][6];
    for (int r = 0; r < R; r++)
        for (int c = 0; c < C; c++) acc[r][c] = _mm512_setzero_ps();
    size_t kk = 0;
    for (; kk + CK_LANES <= k; kk += CK_LANES) {
        __m512 wv[4];
        for (int r = 0; r < R; r++) wv[r] = _mm512_loadu_ps(w + r * ldw + kk);
        for (int c = 0; c < C; c++) {
            __m512 xv = _mm512_loadu_ps(x + c * ldx + kk);
            for (int r = 0; r < R; r++) acc[r][c] = _mm512_fmadd_ps(wv[r], xv, acc[r][c]);
        }
    }
    if (kk < k) {
        __mmask16 m = tail_mask(k - kk);
        for (int c = 0; c < C; c++) {
            __m512 xv = _mm512_maskz_loadu_ps(m, x + c * ldx + kk);
            for (int r = 0; r < R; r++) {
                __m512 wv = _mm512_maskz_loadu_ps(m, w + r * ldw + kk);
                acc[r][c] = _mm512_mask3_fmadd_ps(wv, xv, acc[r][c], m);
            }
        }
    }
    if (R == 4) {
        for (int c = 0; c < C; c++) _mm_storeu_ps(y + c * ldy, fold4(acc[0][c], acc[1][c], acc[2][c], acc[3][c]));
    } else {
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++) y[c * ldy + r] = fold(acc[r][c]);
    }
}

/// One quantised row against C tokens (decode): each block is expanded once and used for every token.
INLINE void tile_q(int enc, const uint8_t *w, const float *x, size_t ldx, float *y, size_t ldy, size_t k, const int C) {
    size_t block_bytes = enc == CK_WEIGHT_Q8_0 ? 34 : 20;
    __m512 acc[6];
    for (int c = 0; c < C; c++) acc[c] = _mm512_setzero_ps();
    for (size_t kk = 0; kk < k; kk += CK_QBLOCK) {
        __m512 lo, hi;
        load_block(enc, w + (kk / CK_QBLOCK) * block_bytes, &lo, &hi);
        for (int c = 0; c < C; c++) {
            acc[c] = _mm512_fmadd_ps(lo, _mm512_loadu_ps(x + c * ldx + kk), acc[c]);
            acc[c] = _mm512_fmadd_ps(hi, _mm512_loadu_ps(x + c * ldx + kk + 16), acc[c]);
        }
    }
    for (int c = 0; c < C; c++) y[c * ldy] = fold(acc[c]);
}

#define TILE_C(call_with_c)                                                             \
    switch (C) {                                                                        \
    case 6: call_with_c(6); break;                                                      \
    case 5: call_with_c(5); break;                                                      \
    case 4: call_with_c(4); break;                                                      \
    case 3: call_with_c(3); break;                                                      \
    case 2: call_with_c(2); break;                                                      \
    default: call_with_c(1); break;                                                     \
    }

#define F32_4(CC) tile_f32(wr, ldw, xt, ldx, yt, ldy, k, 4, CC)
#define F32_3(CC) tile_f32(wr, ldw, xt, ldx, yt, ldy, k, 3, CC)
#define F32_2(CC) tile_f32(wr, ldw, xt, ldx, yt, ldy, k, 2, CC)
#define F32_1(CC) tile_f32(wr, ldw, xt, ldx, yt, ldy, k, 1, CC)

/// Float rows [r0, r1) against all tokens.
static void rows_f32(const float *w, size_t ldw, size_t r0, size_t r1, size_t k, const float *x, size_t ldx,
                     size_t ntok, float *y, size_t ldy) {
    // With few tokens the product streams the weights once: one row at a time reads a single sequential stream,
    // which this kind of CPU prefetches far better than several interleaved rows. With many tokens the weights are
    // reused from cache and 4-row tiles save loads.
    size_t rmax = ntok <= 6 ? 1 : 4;
    for (size_t r = r0; r < r1; r += rmax) {
        size_t R = r1 - r < rmax ? r1 - r : rmax;
        const float *wr = w + r * ldw;
        for (size_t t = 0; t < ntok; t += 6) {
            size_t C = ntok - t < 6 ? ntok - t : 6;
            const float *xt = x + t * ldx;
            float *yt = y + t * ldy + r;
            switch (R) {
            case 4: TILE_C(F32_4) break;
            case 3: TILE_C(F32_3) break;
            case 2: TILE_C(F32_2) break;
            default: TILE_C(F32_1) break;
            }
        }
    }
}

/// Quantised rows [r0, r1): block by block for few tokens; for many, each group of 4 rows is expanded once into
/// scratch and runs through the float tiles (the same values and order, so the same bits).
static void rows_quant(const int enc, const uint8_t *w, size_t w_row_bytes, size_t r0, size_t r1, size_t k,
                       const float *x, size_t ldx, size_t ntok, float *y, size_t ldy) {
    if (ntok <= 6) {
        for (size_t r = r0; r < r1; r++) {
            const uint8_t *wr = w + r * w_row_bytes;
            float *yt = y + r;
            size_t C = ntok;
#define Q_C(CC) tile_q(enc, wr, x, ldx, yt, ldy, k, CC)
            TILE_C(Q_C)
        }
        return;
    }
    float *expanded = aligned_alloc(64, (4 * k * sizeof(float) + 63) / 64 * 64);
    if (!expanded) {  // no memory for scratch: the slow way, still exact
        ck_matmul_rows_portable(enc, w, w_row_bytes, r0, r1, k, x, ldx, ntok, y, ldy);
        return;
    }
    for (size_t r = r0; r < r1; r += 4) {
        size_t R = r1 - r < 4 ? r1 - r : 4;
        for (size_t i = 0; i < R; i++) {
            const uint8_t *row = w + (r + i) * w_row_bytes;
            for (size_t kk = 0; kk < k; kk += CK_QBLOCK) {
                __m512 lo, hi;
                load_block(enc, row + (kk / CK_QBLOCK) * (enc == CK_WEIGHT_Q8_0 ? 34 : 20), &lo, &hi);
                _mm512_store_ps(expanded + i * k + kk, lo);
                _mm512_store_ps(expanded + i * k + kk + 16, hi);
            }
        }
        rows_f32(expanded, k, 0, R, k, x, ldx, ntok, y + r, ldy);
    }
    free(expanded);
}

void ck_matmul_rows_avx512(int encoding, const void *w, size_t w_row_bytes, size_t r0, size_t r1, size_t k,
                           const float *x, size_t ldx, size_t ntok, float *y, size_t ldy) {
    switch (encoding) {
    case CK_WEIGHT_Q8_0: rows_quant(CK_WEIGHT_Q8_0, w, w_row_bytes, r0, r1, k, x, ldx, ntok, y, ldy); break;
    case CK_WEIGHT_Q4_1: rows_quant(CK_WEIGHT_Q4_1, w, w_row_bytes, r0, r1, k, x, ldx, ntok, y, ldy); break;
    default: rows_f32(w, w_row_bytes / sizeof(float), r0, r1, k, x, ldx, ntok, y, ldy); break;
    }
}

#pragma clang attribute pop
