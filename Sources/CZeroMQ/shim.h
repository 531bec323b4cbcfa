// libzmq (Debian libzmq3-dev, 4.3.4, stable API only) plus what Glibc's Swift module does not export: eventfd, and
// the GNU CPU-affinity and scheduling calls that place I/O threads. (Headers that define fd_set must not come in
// here: under _GNU_SOURCE it differs from Glibc's, and a module that imports both fails to build.)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <zmq.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <sched.h>

/// The CPU the calling thread runs on now, or -1.
static inline int brigade_current_cpu(void) { return sched_getcpu(); }

/// Whether this process may run threads on `cpu`.
static inline int brigade_cpu_allowed(int cpu) {
    cpu_set_t set;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_ISSET(cpu, &set);
}

/// Writes up to `capacity` CPUs the calling thread may run on into `cpus`; returns how many (or -1).
static inline int brigade_thread_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return -1;
    int count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && count < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) cpus[count++] = cpu;
    }
    return count;
}

/// Names the calling thread (as `top -H`, `perf` and debuggers show it); Linux keeps the first 15 bytes.
static inline void brigade_name_thread(const char *name) {
    char buffer[16];
    int length = 0;
    while (length < 15 && name[length] != 0) { buffer[length] = name[length]; length++; }
    buffer[length] = 0;
    pthread_setname_np(pthread_self(), buffer);
}

/// Linux's SCHED_BATCH: a thread that, when woken, does not preempt the one running (the tick does).
static const int brigade_sched_batch = SCHED_BATCH;

/// Moves `thread` to SCHED_BATCH; returns 0 or an errno value. (glibc's thread attributes accept only SCHED_OTHER,
/// SCHED_FIFO and SCHED_RR, so this is done once the thread exists.)
static inline int brigade_thread_set_batch(pthread_t thread) {
    struct sched_param param = { .sched_priority = 0 };
    return pthread_setschedparam(thread, SCHED_BATCH, &param);
}

/// The scheduling policy of the calling thread (SCHED_OTHER, SCHED_BATCH, …), or -1.
static inline int brigade_thread_policy(void) {
    int policy;
    struct sched_param param;
    return pthread_getschedparam(pthread_self(), &policy, &param) == 0 ? policy : -1;
}

/// Makes threads created with `attr` run only on `cpu`; returns 0 or an errno value.
static inline int brigade_attr_set_cpu(pthread_attr_t *attr, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}
