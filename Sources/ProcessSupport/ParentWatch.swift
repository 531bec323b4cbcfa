#if canImport(Glibc)
import Glibc
#endif

/// Ties a child process's life to its parent's.
///
/// `PR_SET_PDEATHSIG` is not used: it fires when the parent *thread* that spawned the child exits, and the Swift
/// runtime's pool threads come and go. Instead a small thread notices that the parent changed (the child was
/// re-parented because its parent died) and sends this process SIGTERM, so its own graceful shutdown runs.
public enum ParentWatch {
    /// Starts watching the current parent. Call once, early in `main`. Checks every `interval`.
    /// - Parameter expected: the parent this process must have (e.g. the agent's PID, passed on its command line);
    ///   when the parent is already someone else — it died before this process got here — SIGTERM comes at once.
    public static func exitWithParent(expected: pid_t? = nil, interval: Duration = .milliseconds(200)) {
        let parent = getppid()
        if let expected, parent != expected {
            kill(getpid(), SIGTERM)
            return
        }
        guard parent > 1 else { return }
        let micros = UInt32(max(1, interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000))
        WaiterThread {
            while getppid() == parent { usleep(micros) }
            kill(getpid(), SIGTERM)
        }.start()
    }
}

