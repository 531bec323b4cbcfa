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
