// A persistent worker pool. Workers spin briefly between tasks (a forward pass issues hundreds of short tasks per
// token) and then sleep on a condition variable, so an idle engine costs no CPU. ck_pool_park sends them to sleep at
// once (a pipeline stage waiting for its next input while another stage computes on the same cores); ck_pool_wake
// gets them up to spin before a task comes (that stage's input arrived). A worker joins a task only while the
// caller is still working on it: once the caller's own share returns (it has claimed the last item), the task is
// closed and late workers skip it, so a descheduled worker on a busy machine never stalls the caller.
#include "ckernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#define CK_PAUSE() __builtin_ia32_pause()
#else
#define CK_PAUSE() ((void)0)
#endif

/// Marks a task that no worker may join any more.
#define CK_CLOSED ((uint64_t)1 << 31)

/// How long an idle worker spins before it sleeps.
#define CK_SPIN_NS 200000

struct ck_pool {
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t run_lock;  // serialises ck_pool_run
    pthread_mutex_t wake_lock; // guards sleeping; generation changes under it
    pthread_cond_t wake;
    int sleepers;
    _Atomic unsigned generation;
    _Atomic uint64_t joined;   // (generation << 32) | closed bit 31 | workers that joined
    _Atomic int finished;      // joined workers that returned
    _Atomic int stopping;
    _Atomic int parked;        // set by ck_pool_park: idle workers sleep now instead of spinning
    _Atomic unsigned warmups;  // bumped by ck_pool_wake: sleeping workers get up and spin for the next task
    ck_task_fn fn;
    void *ctx;
};

typedef struct { ck_pool *pool; int tid; } worker_arg;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker_main(void *raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    ck_pool *p = arg.pool;
    unsigned seen = 0, seen_warmups = 0;
    for (;;) {
        long long deadline = now_ns() + CK_SPIN_NS;
        unsigned gen;
        for (int i = 0;; i++) {
            gen = atomic_load_explicit(&p->generation, memory_order_acquire);
            if (gen != seen) break;
            CK_PAUSE();
            if ((i & 63) == 63 && (atomic_load_explicit(&p->parked, memory_order_relaxed) || now_ns() > deadline)) {
                pthread_mutex_lock(&p->wake_lock);
                while ((gen = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen
                       && atomic_load_explicit(&p->warmups, memory_order_relaxed) == seen_warmups) {
                    p->sleepers++;
                    pthread_cond_wait(&p->wake, &p->wake_lock);
                    p->sleepers--;
                }
                seen_warmups = atomic_load_explicit(&p->warmups, memory_order_relaxed);
                pthread_mutex_unlock(&p->wake_lock);
                break;
            }
        }
        if (gen == seen) continue;  // woken early by ck_pool_wake: spin again, for the task about to come
        seen = gen;
        if (atomic_load_explicit(&p->stopping, memory_order_acquire)) return NULL;
        uint64_t word = atomic_load_explicit(&p->joined, memory_order_acquire);
        int joined = 0;
        while ((unsigned)(word >> 32) == gen && !(word & CK_CLOSED)) {
            if (atomic_compare_exchange_weak_explicit(&p->joined, &word, word + 1, memory_order_acq_rel,
                                                      memory_order_acquire)) {
                joined = 1;
                break;
            }
        }
        if (!joined) continue;  // the caller already finished this task
        p->fn(p->ctx, arg.tid, p->nthreads);
        atomic_fetch_add_explicit(&p->finished, 1, memory_order_acq_rel);
    }
}

ck_pool *ck_pool_create(int nthreads) {
    if (nthreads < 1) nthreads = 1;
    ck_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->nthreads = nthreads;
    pthread_mutex_init(&p->run_lock, NULL);
    pthread_mutex_init(&p->wake_lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->threads = calloc((size_t)nthreads, sizeof(pthread_t));
    if (!p->threads) { free(p); return NULL; }
    for (int t = 1; t < nthreads; t++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!arg) { p->nthreads = t; ck_pool_destroy(p); return NULL; }
        arg->pool = p;
        arg->tid = t;
        if (pthread_create(&p->threads[t], NULL, worker_main, arg) != 0) {
            free(arg);
            p->nthreads = t;
            ck_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

static void publish(ck_pool *p) {
    pthread_mutex_lock(&p->wake_lock);
    unsigned gen = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->parked, 0, memory_order_relaxed);
    atomic_store_explicit(&p->finished, 0, memory_order_relaxed);
    atomic_store_explicit(&p->joined, (uint64_t)gen << 32, memory_order_release);
    atomic_store_explicit(&p->generation, gen, memory_order_release);
    if (p->sleepers > 0) pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->wake_lock);
}

void ck_pool_destroy(ck_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->run_lock);
    atomic_store_explicit(&p->stopping, 1, memory_order_release);
    publish(p);
    for (int t = 1; t < p->nthreads; t++) pthread_join(p->threads[t], NULL);
    pthread_mutex_unlock(&p->run_lock);
    pthread_mutex_destroy(&p->run_lock);
    pthread_mutex_destroy(&p->wake_lock);
    pthread_cond_destroy(&p->wake);
    free(p->threads);
    free(p);
}

int ck_pool_threads(const ck_pool *p) { return p ? p->nthreads : 1; }

void ck_pool_park(ck_pool *p) {
    if (p) atomic_store_explicit(&p->parked, 1, memory_order_relaxed);
}

void ck_pool_wake(ck_pool *p) {
    if (!p || p->nthreads == 1) return;
    pthread_mutex_lock(&p->wake_lock);
    atomic_store_explicit(&p->parked, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->warmups, 1, memory_order_relaxed);
    if (p->sleepers > 0) pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->wake_lock);
}

void ck_pool_run(ck_pool *p, ck_task_fn fn, void *ctx) {
    if (!p || p->nthreads == 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->run_lock);
    p->fn = fn;
    p->ctx = ctx;
    publish(p);
    fn(ctx, 0, p->nthreads);
    uint64_t word = atomic_fetch_or_explicit(&p->joined, CK_CLOSED, memory_order_acq_rel);
    int joined = (int)(word & 0x7fffffffu);
    for (int i = 0; atomic_load_explicit(&p->finished, memory_order_acquire) < joined; i++) {
        if (i < 4096) CK_PAUSE();
        else sched_yield();  // a worker was descheduled: give the core back
    }
    pthread_mutex_unlock(&p->run_lock);
}
