#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A dedicated OS thread for a stage's forward passes: model work never runs on the Swift concurrency pool or on
/// the transport's I/O thread, so it cannot delay probes or replies (DESIGN.md §4).
enum StepThread {
    static func start(_ body: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, 8 << 20)
        let rc = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        pthread_attr_destroy(&attributes)
        precondition(rc == 0, "cannot start a step thread: \(String(cString: strerror(rc)))")
        pthread_detach(thread)
    }
}

/// A condition variable for one waiting thread: `wait(until:)` sleeps until `signal` and the predicate holds.
final class Condition: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var signalled = false

    init() {
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    func signal() {
        pthread_mutex_lock(&mutex)
        signalled = true
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Waits until `ready()` is true; checks it again after every signal (no lost wake-ups: a signal between the
    /// check and the wait is remembered).
    /// With a `deadline` (`Clock.now` time), also returns once it has passed.
    func wait(until ready: () -> Bool, deadline: Clock.Instant? = nil) {
        pthread_mutex_lock(&mutex)
        while !ready() {
            if !signalled {
                if let deadline {
                    guard Clock.now < deadline else { break }
                    var time = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                    pthread_cond_timedwait(&condition, &mutex, &time)
                } else {
                    pthread_cond_wait(&condition, &mutex)
                }
            }
            signalled = false
        }
        pthread_mutex_unlock(&mutex)
    }
}

/// Monotonic time for step timings.
enum Clock {
    typealias Instant = UInt64
    static var now: Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    static func seconds(since start: Instant) -> Double { Double(now - start) / 1e9 }
}
