import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Waits for SIGINT or SIGTERM, the way every Brigade process is asked to stop.
public enum ShutdownSignal {
    /// Returns when the process receives SIGINT or SIGTERM (the default action — dying — is turned off first).
    public static func wait() async -> Int32 {
        let signals = [SIGINT, SIGTERM]
        for signal in signals { Glibc.signal(signal, SIG_IGN) }
        return await withCheckedContinuation { continuation in
            let once = OnceBox(continuation)
            let queue = DispatchQueue(label: "brigade.signals")
            var sources: [any DispatchSourceSignal] = []
            for signal in signals {
                let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
                source.setEventHandler { once.resume(signal) }
                source.resume()
                sources.append(source)
            }
            once.keep(sources)
        }
    }
}

/// Resumes a continuation once and keeps the signal sources alive meanwhile.
private final class OnceBox: @unchecked Sendable {
    private var continuation: CheckedContinuation<Int32, Never>?
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLockLike()
    init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }
    func keep(_ sources: [any DispatchSourceSignal]) { lock.run { self.sources = sources } }
    func resume(_ signal: Int32) {
        let c: CheckedContinuation<Int32, Never>? = lock.run {
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: signal)
    }
}

/// A pthread mutex with a closure API.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func run<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}
