import CKernels
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A persistent pool of compute threads that kernels split their rows across.
///
/// The calling thread takes part in every task, so a pool of `threads` starts `threads - 1` workers. Workers spin
/// for a fraction of a millisecond between tasks and then sleep, so an idle pool costs no CPU. Tasks are
/// serialised: two engines may share one pool (stages in one process do), and their kernels then run one at a
/// time, which is what a shared memory bus wants anyway.
public final class ThreadPool: @unchecked Sendable {
    /// The number of threads that run a task, the caller included.
    public let threads: Int
    let raw: OpaquePointer?

    /// Creates a pool of `threads` threads (the caller counts as one); `threads` below 1 is taken as 1.
    /// - Throws: `KernelError.threadStartFailed` when the system refuses to start a thread.
    public init(threads: Int) throws(KernelError) {
        let count = max(1, threads)
        guard let pool = ck_pool_create(Int32(count)) else {
            throw KernelError(.threadStartFailed, "could not start \(count - 1) compute threads")
        }
        self.threads = count
        self.raw = pool
    }

    /// Runs `body(item)` for every item in `0..<count`, spread over the pool: each item exactly once, on whichever
    /// thread claims it. Returns when all are done. `body` must be safe to call from several threads at once.
    public func forEach(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let box = ForEachBox(count: count, body: body)
        withExtendedLifetime(box) {
            ck_pool_run(raw, { ctx, _, _ in
                let box = Unmanaged<ForEachBox>.fromOpaque(ctx!).takeUnretainedValue()
                while true {
                    let i = box.next.add(1, ordering: .relaxed).oldValue
                    if i >= box.count { return }
                    box.body(i)
                }
            }, Unmanaged.passUnretained(box).toOpaque())
        }
    }

    /// Sends idle workers to sleep now instead of letting them spin; the next `forEach` wakes them. For a caller that
    /// knows no task is coming soon, e.g. a pipeline stage waiting for input while another stage uses the cores.
    public func park() { ck_pool_park(raw) }

    /// Gets sleeping workers up to spin for a task about to come (they sleep again after a short spin if none
    /// does), so that their wake-up overlaps the caller's. For a pipeline stage whose input just arrived.
    public func wake() { ck_pool_wake(raw) }

    /// The number of online cores: the default for `threads`.
    public static var defaultThreadCount: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }

    deinit { ck_pool_destroy(raw) }
}

/// The shared state of one `forEach` task.
private final class ForEachBox: Sendable {
    let count: Int
    let body: @Sendable (Int) -> Void
    let next = Atomic<Int>(0)

    init(count: Int, body: @escaping @Sendable (Int) -> Void) {
        self.count = count
        self.body = body
    }
}
