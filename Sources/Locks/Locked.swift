#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex.
///
/// Used instead of `Synchronization.Mutex` in the transport, the actor system and the test kit because ThreadSanitizer sees pthread mutexes (it
/// intercepts them) but not the futex-based `Mutex`, whose critical sections it would report as races. Keep bodies
/// short and never call back into code that may take the same lock.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Touched only under the mutex, which is what makes access exclusive: the runtime's own exclusivity check (a
    /// thread-local access set, on every access) would only repeat it.
    @usableFromInline @exclusivity(unchecked) var value: Value

    /// - Parameter value: the initial value.
    public init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
