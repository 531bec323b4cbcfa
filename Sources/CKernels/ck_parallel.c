// Kernels split across the thread pool: matrix products by row chunks, attention by (token, head) pairs. Work is
// handed out through an atomic counter, so a descheduled thread does not hold the others back; which thread
// computes an element never changes its value.
#include "ck_internal.h"
#include <stdatomic.h>

typedef struct {
    const ck_isa_table *isa;
    int encoding;
    const void *w;
    size_t w_row_bytes, rows, k, chunk;
    const float *x;
    size_t ldx, ntok;
    float *y;
    size_t ldy;
    _Atomic size_t next;
} matmul_task;

static void matmul_body(void *raw, int tid, int nthreads) {
    (void)tid;
    (void)nthreads;
    matmul_task *m = raw;
    for (;;) {
        size_t r0 = atomic_fetch_add_explicit(&m->next, m->chunk, memory_order_relaxed);
        if (r0 >= m->rows) return;
        size_t r1 = r0 + m->chunk < m->rows ? r0 + m->chunk : m->rows;
        m->isa->matmul_rows(m->encoding, m->w, m->w_row_bytes, r0, r1, m->k, m->x, m->ldx, m->ntok, m->y, m->ldy);
    }
}

void ck_matmul(ck_pool *pool, int encoding, const void *w, size_t w_row_bytes, size_t rows, size_t k,
               const float *x, size_t ldx, size_t ntok, float *y, size_t ldy) {
    if (rows == 0 || ntok == 0) return;
    size_t threads = (size_t)ck_pool_threads(pool);
    // About eight chunks per thread, in whole tiles of 16 rows.
    size_t chunk = (rows + threads * 8 - 1) / (threads * 8);
    chunk = (chunk + 15) / 16 * 16;
    matmul_task m = {ck_isa(), encoding, w, w_row_bytes, rows, k, chunk, x, ldx, ntok, y, ldy, 0};
    if (threads == 1 || rows <= chunk) {
        m.isa->matmul_rows(encoding, w, w_row_bytes, 0, rows, k, x, ldx, ntok, y, ldy);
        return;
    }
    ck_pool_run(pool, matmul_body, &m);
}

typedef struct {
    const ck_isa_table *isa;
    const ck_attention_args *a;
    _Atomic size_t next;
} attention_task;

static void attention_one(const ck_isa_table *isa, const ck_attention_args *a, size_t t, size_t h, float *scores) {
    size_t hd = a->head_dim;
    size_t kvh = h / (a->n_heads / a->n_kv_heads);
    size_t npos = a->first_pos + t + 1;
    const float *q = a->q + t * a->q_stride + h * hd;
    size_t p = 0;
    for (; p + 4 <= npos; p += 4) {  // four positions at a time share one fold
        const float *k[4];
        for (size_t j = 0; j < 4; j++)
            k[j] = a->k_blocks[(p + j) / a->block_tokens] + ((p + j) % a->block_tokens) * a->kv_stride + kvh * hd;
        isa->dot4(q, k, hd, scores + p);
        for (size_t j = 0; j < 4; j++) scores[p + j] = scores[p + j] * a->scale;
    }
    for (; p < npos; p++) {
        const float *k = a->k_blocks[p / a->block_tokens] + (p % a->block_tokens) * a->kv_stride + kvh * hd;
        scores[p] = isa->dot(q, k, hd) * a->scale;
    }
    ck_softmax(scores, npos);
    float *out = a->out + t * a->out_stride + h * hd;
    for (size_t i = 0; i < hd; i++) out[i] = 0.0f;
    for (size_t p = 0; p < npos; p++) {
        const float *v = a->k_blocks[p / a->block_tokens] + a->v_offset + (p % a->block_tokens) * a->kv_stride + kvh * hd;
        isa->axpy(scores[p], v, out, hd);
    }
}

static void attention_body(void *raw, int tid, int nthreads) {
    (void)nthreads;
    attention_task *task = raw;
    const ck_attention_args *a = task->a;
    float *scores = a->scratch + (size_t)tid * (a->first_pos + a->ntok);
    size_t items = a->ntok * a->n_heads;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&task->next, 1, memory_order_relaxed);
        if (i >= items) return;
        attention_one(task->isa, a, i / a->n_heads, i % a->n_heads, scores);
    }
}

void ck_attention(ck_pool *pool, const ck_attention_args *args) {
    attention_task task = {ck_isa(), args, 0};
    if (args->ntok == 0) return;
    ck_pool_run(pool, attention_body, &task);
}
