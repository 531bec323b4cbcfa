import CZeroMQ

/// Which CPUs a process may place its I/O threads on.
///
/// A message crosses from libzmq's I/O thread to Brigade's (and back) on every call. Waking a thread that sleeps on
/// another CPU costs an inter-processor interrupt: 10–16 µs per hand-off on the 2-vCPU VMs we measure on, against
/// about 2 µs on the same CPU. A raw libzmq client, with one thread of its own, settles on one CPU by itself; a
/// Brigade process, with more threads, often does not, so it can keep them on one CPU instead.
public enum CPUPlacement {
    /// The CPU the calling thread is running on (0 when the kernel cannot say).
    public static var currentCPU: Int { max(0, Int(brigade_current_cpu())) }

    /// Whether this process may run threads on `cpu` (its affinity mask, e.g. from `taskset` or a cgroup, allows it).
    public static func isAllowed(_ cpu: Int) -> Bool {
        cpu >= 0 && cpu <= Int(Int32.max) && brigade_cpu_allowed(Int32(cpu)) != 0
    }

    /// The CPUs the calling thread may run on.
    public static func threadCPUs() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = brigade_thread_cpus(&cpus, Int32(cpus.count))
        return count < 0 ? [] : cpus[..<Int(count)].map(Int.init)
    }
}

/// How the kernel schedules I/O threads.
///
/// An I/O thread wakes for every message and runs briefly. Under Linux's default policy a woken thread preempts the
/// one running on its CPU, often the thread that just woke it (libzmq's I/O thread handing over a message, a caller
/// handing over a send), so a round trip switches threads more often than it hands work over. `SCHED_BATCH`
/// threads wait for the running thread to block or for the scheduler tick instead: fewer switches when CPUs are
/// free, but up to a tick's delay when other processes keep every CPU busy.
public enum ThreadScheduling {
    /// Whether the calling thread runs under `SCHED_BATCH`.
    public static var isBatch: Bool { brigade_thread_policy() == brigade_sched_batch }
}
