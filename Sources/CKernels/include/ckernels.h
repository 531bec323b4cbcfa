// Hot numeric kernels in C, dispatched at run time on the CPU's instruction set.
//
// Every reduction here follows one canonical order, whatever the instruction set, the thread count or the number
// of rows processed together: a dot product over K keeps 16 lane accumulators (lane l sums elements k ≡ l mod 16
// with fused multiply-adds, in increasing k; missing tail elements count as zero), then folds them in a fixed
// tree (l + l+8, then + 4, + 2, + 1). The AVX-512, AVX2 and portable paths perform the same IEEE operations in the
// same order, so their results are bitwise identical; and an output element never depends on which other rows or
// tokens were computed in the same call. Exponentials use one polynomial (ck_expf) on every path.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Instruction-set dispatch

/// Instruction-set levels, lowest first.
enum {
    CK_ISA_PORTABLE = 0,  ///< plain C with fmaf (correct everywhere, slow)
    CK_ISA_AVX2 = 1,      ///< AVX2 + FMA
    CK_ISA_AVX512 = 2,    ///< AVX-512F (+BW for byte unpacking of quantised weights)
};

/// The best level this CPU supports.
int ck_isa_supported(void);
/// The level kernels called from this thread use now: this thread's override if set, else the process-wide level
/// (which starts at ck_isa_supported()). A kernel split across the pool uses its caller's level on every thread.
int ck_isa_active(void);
/// Sets the process-wide level, capped at the supported one; returns the level set.
int ck_isa_set(int level);
/// Sets the calling thread's override (capped at the supported level), or clears it when level < 0; returns the
/// level now active on this thread. For tests that compare levels while other tests run.
int ck_isa_set_thread(int level);

// MARK: - Thread pool

/// A persistent pool of worker threads; the calling thread takes part as thread 0.
typedef struct ck_pool ck_pool;
/// A task body, called on the caller (tid 0) and on each worker that joins in time (tid in [1, nthreads)). It must
/// claim its work from a shared counter until none is left, so that any subset of the threads completes the task:
/// workers that arrive after the caller's call has returned skip the task.
typedef void (*ck_task_fn)(void *ctx, int tid, int nthreads);

/// Creates a pool that runs tasks on `nthreads` threads in all (nthreads-1 workers plus the caller). NULL on failure.
ck_pool *ck_pool_create(int nthreads);
/// Stops and joins the workers, then frees the pool.
void ck_pool_destroy(ck_pool *pool);
/// The pool's thread count.
int ck_pool_threads(const ck_pool *pool);
/// Sends idle workers to sleep now rather than after their spin; the next ck_pool_run wakes them. Any thread.
void ck_pool_park(ck_pool *pool);
/// Gets sleeping workers up to spin for a task that is about to come, so their wake-up overlaps the caller's own
/// (a pipeline stage whose input just arrived). Any thread.
void ck_pool_wake(ck_pool *pool);
/// Runs `fn` on the pool (see ck_task_fn) and returns when every thread that joined is done. Calls are serialised
/// by a lock.
/// A NULL pool runs `fn(ctx, 0, 1)` on the caller.
void ck_pool_run(ck_pool *pool, ck_task_fn fn, void *ctx);

// MARK: - Canonical reductions

/// The canonical dot product of a and b over n elements (see the top of this file).
float ck_dot(const float *a, const float *b, size_t n);
/// The canonical exponential: a degree-7 polynomial after range reduction; |rel. error| < 2e-7 for x in
/// [-87, 88]; 0 below -87.33, +inf above 88.72, NaN for NaN.
float ck_expf(float x);

// MARK: - Matrix products (weights stored [rows, K], row-major)

/// Weight encodings understood by ck_matmul.
enum {
    CK_WEIGHT_F32 = 0,   ///< float32
    CK_WEIGHT_Q8_0 = 1,  ///< GGML Q8_0: blocks of 32 = f16 scale d, 32 int8 q; value d·q
    CK_WEIGHT_Q4_1 = 2,  ///< GGML Q4_1: blocks of 32 = f16 d, f16 m, 16 bytes of nibbles; value d·q + m
};

/// Y[t][r] = dot(W[r], X[t]) for rows r in [0, rows) and tokens t in [0, ntok).
/// W: `rows` rows of `k` weights in `encoding`, each row `w_row_bytes` apart (k must be a multiple of 32 for the
/// quantised encodings). X: ntok rows of k floats, `ldx` floats apart. Y: ntok rows, `ldy` floats apart.
/// Rows are split across the pool's threads; every element is the canonical dot of its row and token, so the
/// result is the same for any ntok, thread count or instruction set. A quantised weight is expanded exactly as
/// ck_dequantize_row does before it enters the dot.
void ck_matmul(ck_pool *pool, int encoding, const void *w, size_t w_row_bytes, size_t rows, size_t k,
               const float *x, size_t ldx, size_t ntok, float *y, size_t ldy);

/// Expands one row of `k` weights in `encoding` to floats (d·q, or d·q + m with a separate multiply and add).
void ck_dequantize_row(int encoding, const void *src, float *dst, size_t k);
/// Bytes of one row of `k` weights in `encoding` (k a multiple of 32 for the quantised ones).
size_t ck_row_bytes(int encoding, size_t k);

// MARK: - Element-wise and row operations

/// out[i] = x[i] · (1 / sqrt(dot(x, x) / n + eps)) · w[i] (RMSNorm). out may alias x.
void ck_rmsnorm(const float *x, const float *w, float *out, size_t n, float eps);
/// In place: x[i] = x[i] + y[i].
void ck_add(float *x, const float *y, size_t n);
/// In place: x = softmax(x) over n elements (max-subtracted, ck_expf, sequential sum, multiply by 1/sum).
void ck_softmax(float *x, size_t n);
/// out[i] = silu(gate[i]) · up[i] with silu(g) = g / (1 + ck_expf(-g)). out may alias gate or up.
void ck_swiglu(const float *gate, const float *up, float *out, size_t n);
/// Index of the first largest element; -1 if n == 0 or any element is NaN.
long ck_argmax(const float *x, size_t n);
/// Number of elements that are not finite (NaN or ±inf).
size_t ck_count_nonfinite(const float *x, size_t n);

/// Rotary position embedding, in place, on `nheads` heads of `head_dim` floats (head h at x + h·head_dim).
/// cos_t/sin_t hold head_dim/2 angles' cosines and sines for this token's position (pair i uses index i).
/// interleaved = 1 rotates pairs (2i, 2i+1) (GGUF layout); 0 rotates (i, i + head_dim/2) (Hugging Face layout).
void ck_rope(float *x, size_t nheads, size_t head_dim, const float *cos_t, const float *sin_t, int interleaved);

// MARK: - Attention over a block-paged KV cache

/// Causal grouped-query attention of one sequence's query tokens over its cached keys and values.
typedef struct ck_attention_args {
    const float *q;       ///< ntok rows of n_heads·head_dim floats, q_stride floats apart
    size_t q_stride;
    float *out;           ///< ntok rows of n_heads·head_dim floats, out_stride floats apart
    size_t out_stride;
    size_t ntok;          ///< query tokens; token t sits at position first_pos + t and sees positions 0...first_pos+t
    size_t first_pos;
    size_t n_heads, n_kv_heads, head_dim;
    float scale;          ///< score multiplier, usually 1/sqrt(head_dim)
    const float *const *k_blocks;  ///< per cache block: its first key row for this layer
    size_t v_offset;      ///< floats from a block's key rows to its value rows
    size_t block_tokens;  ///< positions per block (16)
    size_t kv_stride;     ///< floats between consecutive positions' rows (n_kv_heads·head_dim)
    float *scratch;       ///< nthreads·(first_pos+ntok) floats of score space
} ck_attention_args;

/// Runs attention for every (token, head) pair, split across the pool. For each pair: scores are canonical dots
/// times scale, then ck_softmax, then out = Σ_p prob_p · v_p accumulated with fused multiply-adds in position
/// order. The result of a query depends only on its own inputs and positions, not on ntok.
void ck_attention(ck_pool *pool, const ck_attention_args *args);

#ifdef __cplusplus
}
#endif
