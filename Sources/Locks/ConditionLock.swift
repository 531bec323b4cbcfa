#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with one condition variable on the monotonic clock: what a thread needs to sleep until work
/// arrives or a timer is due. `Synchronization.Mutex` has no condition variable, hence this small wrapper.
public final class ConditionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held.
    public func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Wakes the waiting thread. Call with or without the mutex held.
    public func signal() { pthread_cond_signal(condition) }

    /// Waits (mutex held) until signalled or until the monotonic clock reaches `until` nanoseconds, if given.
    public func wait(untilMonotonic until: UInt64?) {
        guard let until else {
            pthread_cond_wait(condition, mutex)
            return
        }
        var deadline = timespec(tv_sec: Int(until / 1_000_000_000), tv_nsec: Int(until % 1_000_000_000))
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    /// The monotonic clock in nanoseconds.
    public static func monotonicNow() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
