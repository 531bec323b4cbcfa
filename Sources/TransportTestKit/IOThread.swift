#if canImport(Glibc)
import Glibc
#endif
import Locks

/// One simulated node's "I/O thread": a dedicated OS thread that runs, one at a time and in order, message
/// deliveries, timers and the jobs of tasks that prefer it as their executor.
///
/// It stands in for the poll thread of a real transport, so handlers see the same one-at-a-time semantics. A paused
/// thread runs nothing (a SIGSTOPped process), but keeps what it is given until resumed.
final class IOThread: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case closure(() -> Void)
    }

    private struct Timer {
        var due: UInt64
        var sequence: UInt64
        var body: () -> Void
    }

    private let lock = ConditionLock()
    // Guarded by `lock`.
    private var queue: [Work] = []
    private var head = 0
    private var timers: [Timer] = []
    private var timerSequence: UInt64 = 0
    private var paused = false
    private var stopping = false
    private var exited = false
    private var thread: pthread_t?
    private let name: String

    init(name: String) {
        self.name = name
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<IOThread>.fromOpaque(raw!).takeRetainedValue()
            thread.run()
            return nil
        }, box.toOpaque())
        precondition(result == 0, "pthread_create failed for \(name): \(result)")
        pthread_detach(handle)
        thread = handle
    }

    /// True when the caller runs on this thread.
    var isCurrent: Bool {
        guard let thread else { return false }
        return pthread_equal(pthread_self(), thread) != 0
    }

    func enqueue(_ job: consuming ExecutorJob) {
        submit(.job(UnownedJob(job)))
    }

    /// Runs `body` on the thread after everything queued before it. Returns false (and drops `body`) once the
    /// thread has ended.
    @discardableResult
    func execute(_ body: @escaping () -> Void) -> Bool {
        submit(.closure(body))
    }

    /// Runs `body` on the thread once `delay` has passed, or early, when the thread stops. Returns false (and drops
    /// `body`) once the thread has ended.
    @discardableResult
    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> Bool {
        let (seconds, attoseconds) = delay.components
        let nanos = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let due = ConditionLock.monotonicNow() &+ UInt64(nanos)
        let accepted = lock.withLock {
            guard !exited else { return false }
            timerSequence += 1
            timers.append(Timer(due: due, sequence: timerSequence, body: body))
            timers.sort { ($0.due, $0.sequence) < ($1.due, $1.sequence) }
            return true
        }
        if accepted { lock.signal() }
        return accepted
    }

    /// Stops (or resumes) running work; what arrives meanwhile waits.
    func setPaused(_ paused: Bool) {
        lock.withLock { self.paused = paused }
        lock.signal()
    }

    /// Ends the thread after it has run the work queued so far; timers not yet due run at once, so nothing that
    /// waits on them is lost.
    func stop() {
        lock.withLock { stopping = true }
        lock.signal()
    }

    @discardableResult
    private func submit(_ work: Work) -> Bool {
        let accepted = lock.withLock {
            guard !exited else { return false }
            queue.append(work)
            return true
        }
        guard accepted else {
            // After `stop`, tasks that still prefer this executor run on the global pool rather than hang; plain
            // closures (deliveries to a stopped node) are dropped.
            if case .job(let job) = work { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
            return false
        }
        lock.signal()
        return true
    }

    private func run() {
        var ignored = sigset_t()
        sigfillset(&ignored)
        pthread_sigmask(SIG_BLOCK, &ignored, nil)
        lock.lock()
        while true {
            if !paused {
                if head < queue.count {
                    let work = queue[head]
                    head += 1
                    if head > 1024, head * 2 > queue.count {
                        queue.removeFirst(head)
                        head = 0
                    }
                    lock.unlock()
                    perform(work)
                    lock.lock()
                    continue
                }
                if let first = timers.first, first.due <= ConditionLock.monotonicNow() {
                    timers.removeFirst()
                    lock.unlock()
                    first.body()
                    lock.lock()
                    continue
                }
                if stopping {
                    guard !timers.isEmpty else { break }
                    let early = timers.removeFirst()
                    lock.unlock()
                    early.body()
                    lock.lock()
                    continue
                }
            }
            lock.wait(untilMonotonic: paused ? nil : timers.first?.due)
        }
        exited = true
        lock.unlock()
    }

    private func perform(_ work: Work) {
        switch work {
        case .job(let job):
            job.runSynchronously(on: asUnownedTaskExecutor())
        case .closure(let body):
            body()
        }
    }
}
