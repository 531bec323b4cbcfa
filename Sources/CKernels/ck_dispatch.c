// Run-time choice of the instruction set: the best the CPU supports, lowered on request by tests.
#include "ck_internal.h"
#include <stdatomic.h>

static const ck_isa_table tables[3] = {
    {ck_dot_portable, ck_sum_portable, ck_dot4_portable, ck_exp_portable, ck_swiglu_portable, ck_axpy_portable, ck_dequantize_portable, ck_matmul_rows_portable},
    {ck_dot_avx2, ck_sum_avx2, ck_dot4_avx2, ck_exp_avx2, ck_swiglu_avx2, ck_axpy_avx2, ck_dequantize_avx2, ck_matmul_rows_avx2},
    {ck_dot_avx512, ck_sum_avx512, ck_dot4_avx512, ck_exp_avx512, ck_swiglu_avx512, ck_axpy_avx512, ck_dequantize_avx512, ck_matmul_rows_avx512},
};

static _Atomic int active_level = -1;
static _Thread_local int thread_level = -1;

int ck_isa_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return CK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CK_ISA_AVX2;
#endif
    return CK_ISA_PORTABLE;
}

int ck_isa_active(void) {
    if (thread_level >= 0) return thread_level;
    int level = atomic_load_explicit(&active_level, memory_order_relaxed);
    if (level < 0) {
        level = ck_isa_supported();
        atomic_store_explicit(&active_level, level, memory_order_relaxed);
    }
    return level;
}

int ck_isa_set(int level) {
    int supported = ck_isa_supported();
    if (level > supported) level = supported;
    if (level < 0) level = 0;
    atomic_store_explicit(&active_level, level, memory_order_relaxed);
    return level;
}

int ck_isa_set_thread(int level) {
    if (level < 0) {
        thread_level = -1;
        return ck_isa_active();
    }
    int supported = ck_isa_supported();
    thread_level = level > supported ? supported : level;
    return thread_level;
}

const ck_isa_table *ck_isa(void) { return &tables[ck_isa_active()]; }
