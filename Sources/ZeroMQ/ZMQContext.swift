import CZeroMQ
import Synchronization

/// A libzmq context: the I/O threads and the namespace of `inproc://` endpoints that its sockets share.
///
/// Created with safe settings instead of libzmq's defaults (research/zeromq.md §5): `BLOCKY=0`, so terminating never
/// waits for unsent messages, and `MAX_SOCKETS` raised from 1023. A context is thread-safe; its sockets are not.
/// Close every socket before `terminate()` returns, or it waits for them.
public final class ZMQContext: @unchecked Sendable {
    /// The libzmq handle (`void *`), for calls this binding does not wrap.
    public let handle: UnsafeMutableRawPointer
    private let terminated = Atomic<Bool>(false)

    /// - Parameters:
    ///   - ioThreads: libzmq's background I/O threads (about one per GB/s of traffic; CURVE costs more).
    ///   - maxSockets: the most sockets the context may hold at once.
    ///   - cpu: run the I/O threads only on this CPU (nil: wherever the kernel puts them).
    ///   - batchScheduling: run the I/O threads under `SCHED_BATCH` (see `ThreadScheduling`).
    ///   - threadNamePrefix: libzmq names its threads `PREFIX/ZMQbg/IO/N` instead of `ZMQbg/IO/N` (nil: no prefix),
    ///     which tells apart the threads of several contexts in one process.
    /// - Throws: `ZMQError` when libzmq refuses a setting.
    public init(
        ioThreads: Int = 1, maxSockets: Int = 8192, cpu: Int? = nil, batchScheduling: Bool = false,
        threadNamePrefix: Int? = nil
    ) throws(ZMQError) {
        guard let context = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = context
        var settings = [
            (ZMQ_IO_THREADS, Int32(clamping: ioThreads), "IO_THREADS"),
            (ZMQ_MAX_SOCKETS, Int32(clamping: maxSockets), "MAX_SOCKETS"),
            (ZMQ_BLOCKY, 0, "BLOCKY"),
        ]
        // Must precede the first socket: libzmq starts its I/O threads then.
        if let cpu { settings.append((ZMQ_THREAD_AFFINITY_CPU_ADD, Int32(clamping: cpu), "THREAD_AFFINITY_CPU_ADD")) }
        if batchScheduling { settings.append((ZMQ_THREAD_SCHED_POLICY, brigade_sched_batch, "THREAD_SCHED_POLICY")) }
        if let threadNamePrefix {
            settings.append((ZMQ_THREAD_NAME_PREFIX, Int32(clamping: threadNamePrefix), "THREAD_NAME_PREFIX"))
        }
        for (option, value, name) in settings where zmq_ctx_set(context, option, value) != 0 {
            let error = ZMQError.last("zmq_ctx_set(\(name), \(value))")
            zmq_ctx_term(context)
            throw error
        }
    }

    /// The number of I/O threads the context was created with.
    public var ioThreads: Int { Int(zmq_ctx_get(handle, ZMQ_IO_THREADS)) }

    /// The most sockets the context may hold.
    public var maxSockets: Int { Int(zmq_ctx_get(handle, ZMQ_MAX_SOCKETS)) }

    /// Makes every blocking call on the context's sockets fail with `ETERM`, without destroying anything. Lets a
    /// thread blocked in `zmq_poll` or `zmq_recv` on another thread return.
    public func shutdown() {
        guard !terminated.load(ordering: .acquiring) else { return }
        zmq_ctx_shutdown(handle)
    }

    /// Destroys the context. Blocks until every socket of the context is closed; call it after closing them.
    /// Idempotent.
    public func terminate() {
        guard !terminated.exchange(true, ordering: .acquiringAndReleasing) else { return }
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    deinit { terminate() }

    /// The libzmq version, e.g. (4, 3, 4).
    public static var version: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }

    /// Whether libzmq was built with `capability` (e.g. "curve", "ipc", "draft").
    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }
}
