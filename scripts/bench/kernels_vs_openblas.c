// Brigade's CKernels against OpenBLAS on SmolLM2-135M's shapes: decode GEMVs, 128-token prefill GEMMs, and whether
// a row's result depends on how many rows are computed together (batch invariance). One JSON object per line.
// Built and run by kernels-vs-openblas.sh; random weights (speed does not depend on the values).
#include "ckernels.h"
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(size_t n, unsigned seed) {
    float *p = aligned_alloc(64, (n * 4 + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)(seed >> 8) / 16777216.0f * 2 - 1;
    }
    return p;
}

// SmolLM2-135M per layer: q, k, v, o, gate, up (rows × 576) and down (576 × 1536); 30 layers; LM head 49152 × 576.
static const size_t H = 576, F = 1536, V = 49152, L = 30;
static const size_t shapes[7][2] = {{576, 576}, {192, 576}, {192, 576}, {576, 576}, {1536, 576}, {1536, 576}, {576, 1536}};

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2, reps = argc > 2 ? atoi(argv[2]) : 5;
    ck_pool *pool = ck_pool_create(threads);
    openblas_set_num_threads(threads);
    size_t per_layer = 0;
    for (int i = 0; i < 7; i++) per_layer += shapes[i][0] * shapes[i][1];
    float *w = random_floats(per_layer * L + V * H, 1), *x = random_floats(128 * F, 2), *y = calloc(128 * V, 4);

    // Decode: every GEMV of one token (538 MB of weights), best of reps.
    double best_ck = 1e9, best_blas = 1e9;
    for (int r = 0; r < reps; r++) {
        for (int engine = 0; engine < 2; engine++) {
            double t0 = now();
            size_t off = 0;
            for (size_t l = 0; l < L; l++)
                for (int i = 0; i < 7; i++) {
                    size_t n = shapes[i][0], k = shapes[i][1];
                    if (engine == 0) ck_matmul(pool, CK_WEIGHT_F32, w + off, k * 4, n, k, x, k, 1, y, n);
                    else cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1, w + off, k, x, 1, 0, y, 1);
                    off += n * k;
                }
            if (engine == 0) ck_matmul(pool, CK_WEIGHT_F32, w + off, H * 4, V, H, x, H, 1, y, V);
            else cblas_sgemv(CblasRowMajor, CblasNoTrans, V, H, 1, w + off, H, x, 1, 0, y, 1);
            double t = now() - t0;
            if (engine == 0 && t < best_ck) best_ck = t;
            if (engine == 1 && t < best_blas) best_blas = t;
        }
    }
    double bytes = (double)(per_layer * L + V * H) * 4;
    printf("{\"bench\":\"decode_gemv_all_layers\",\"threads\":%d,\"ck_ms\":%.3f,\"openblas_ms\":%.3f,\"ck_gb_per_s\":%.2f,"
           "\"openblas_gb_per_s\":%.2f,\"ck_speedup\":%.3f}\n",
           threads, best_ck * 1e3, best_blas * 1e3, bytes / best_ck / 1e9, bytes / best_blas / 1e9, best_blas / best_ck);

    // Prefill: the 30 layers' GEMMs for 128 tokens.
    best_ck = best_blas = 1e9;
    for (int r = 0; r < reps; r++) {
        for (int engine = 0; engine < 2; engine++) {
            double t0 = now();
            size_t off = 0;
            for (size_t l = 0; l < L; l++)
                for (int i = 0; i < 7; i++) {
                    size_t n = shapes[i][0], k = shapes[i][1];
                    if (engine == 0) ck_matmul(pool, CK_WEIGHT_F32, w + off, k * 4, n, k, x, k, 128, y, n);
                    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 128, n, k, 1, x, k, w + off, k, 0, y, n);
                    off += n * k;
                }
            double t = now() - t0;
            if (engine == 0 && t < best_ck) best_ck = t;
            if (engine == 1 && t < best_blas) best_blas = t;
        }
    }
    double flops = 2.0 * per_layer * L * 128;
    printf("{\"bench\":\"prefill_gemm_128_tokens\",\"threads\":%d,\"ck_ms\":%.2f,\"openblas_ms\":%.2f,\"ck_gflop_per_s\":%.1f,"
           "\"openblas_gflop_per_s\":%.1f,\"ck_speedup\":%.3f}\n",
           threads, best_ck * 1e3, best_blas * 1e3, flops / best_ck / 1e9, flops / best_blas / 1e9, best_blas / best_ck);

    // Batch invariance: row 0's outputs computed with 1, 7 and 128 token rows in the call.
    int sizes[3] = {1, 7, 128};
    float *ref_ck = malloc(H * 4), *ref_blas = malloc(H * 4);
    int ck_same = 1, blas_same = 1;
    for (int s = 0; s < 3; s++) {
        ck_matmul(pool, CK_WEIGHT_F32, w, H * 4, H, H, x, H, sizes[s], y, H);
        if (s == 0) memcpy(ref_ck, y, H * 4); else ck_same &= !memcmp(ref_ck, y, H * 4);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, sizes[s], H, H, 1, x, H, w, H, 0, y, H);
        if (s == 0) memcpy(ref_blas, y, H * 4); else blas_same &= !memcmp(ref_blas, y, H * 4);
    }
    printf("{\"bench\":\"batch_invariance_576x576\",\"token_rows\":[1,7,128],\"ck_bitwise_equal\":%s,\"openblas_bitwise_equal\":%s}\n",
           ck_same ? "true" : "false", blas_same ? "true" : "false");
    ck_pool_destroy(pool);
    return 0;
}
