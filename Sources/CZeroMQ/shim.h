// libzmq (Debian libzmq3-dev, 4.3.4, stable API only) plus what Glibc's Swift module does not export: eventfd, and
// the GNU CPU-affinity calls that place I/O threads.
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

/// Makes threads created with `attr` run only on `cpu`; returns 0 or an errno value.
static inline int brigade_attr_set_cpu(pthread_attr_t *attr, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}
