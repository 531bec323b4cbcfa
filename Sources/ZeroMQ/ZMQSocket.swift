import CZeroMQ

/// A libzmq socket pattern.
public struct ZMQSocketType: Hashable, Sendable, CustomStringConvertible {
    /// The libzmq constant.
    public let rawValue: Int32
    /// - Parameter rawValue: a libzmq socket-type constant.
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// One-to-one, both directions (monitors, inproc signalling).
    public static let pair = ZMQSocketType(rawValue: ZMQ_PAIR)
    /// Load-balancing sender and fair-queuing receiver, no envelope (the transport's per-peer mailboxes).
    public static let dealer = ZMQSocketType(rawValue: ZMQ_DEALER)
    /// Receives with the sender's routing id as first part, sends to a routing id (inboxes, the ZAP handler).
    public static let router = ZMQSocketType(rawValue: ZMQ_ROUTER)
    /// One-way sender of a pipeline.
    public static let push = ZMQSocketType(rawValue: ZMQ_PUSH)
    /// One-way receiver of a pipeline.
    public static let pull = ZMQSocketType(rawValue: ZMQ_PULL)
    /// Strict request side of request/reply.
    public static let req = ZMQSocketType(rawValue: ZMQ_REQ)
    /// Strict reply side of request/reply.
    public static let rep = ZMQSocketType(rawValue: ZMQ_REP)

    public var description: String {
        switch rawValue {
        case ZMQ_PAIR: "PAIR"
        case ZMQ_DEALER: "DEALER"
        case ZMQ_ROUTER: "ROUTER"
        case ZMQ_PUSH: "PUSH"
        case ZMQ_PULL: "PULL"
        case ZMQ_REQ: "REQ"
        case ZMQ_REP: "REP"
        default: "socket type \(rawValue)"
        }
    }
}

/// A libzmq socket. Not thread-safe: use it from one thread at a time, and move it between threads only through
/// a lock or a queue (a full memory barrier, zmq(7)). Closed when it dies, or earlier with `close()`.
///
/// Options that libzmq applies only to later `bind`/`connect` calls are refused once the socket is attached.
public final class ZMQSocket {
    /// The libzmq handle (`void *`), for calls this binding does not wrap.
    public let handle: UnsafeMutableRawPointer
    /// The socket's pattern.
    public let type: ZMQSocketType
    /// True once `bind` or `connect` succeeded.
    public private(set) var isAttached = false
    /// True once `close` ran.
    public private(set) var isClosed = false

    /// Creates a socket of `type` in `context`.
    public init(_ context: ZMQContext, type: ZMQSocketType) throws(ZMQError) {
        guard let socket = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket(\(type))")
        }
        handle = socket
        self.type = type
    }

    deinit { close() }

    /// Sets `option`. Throws when libzmq rejects the value, or when the option would have no effect because the
    /// socket is already bound or connected.
    public func set<Value>(_ option: ZMQSocketOption<Value>, _ value: Value) throws(ZMQError) {
        guard option.appliesAfterAttach || !isAttached else {
            throw ZMQError(.invalidArgument, "\(option.name) must be set before bind/connect on this \(type) socket")
        }
        let rc = value.withOptionBytes { bytes in
            zmq_setsockopt(handle, option.rawValue, bytes.baseAddress, bytes.count)
        }
        guard rc == 0 else { throw ZMQError.last("zmq_setsockopt(\(option.name))") }
    }

    /// Reads `option`.
    public func get<Value>(_ option: ZMQSocketOption<Value>) throws(ZMQError) -> Value {
        try Value.read(from: handle, option: option.rawValue, name: option.name)
    }

    /// Binds to `endpoint` (`tcp://HOST:PORT`, port 0 or `*` for an ephemeral one; `ipc://PATH`; `inproc://NAME`)
    /// and returns the endpoint actually bound, with the port resolved.
    @discardableResult
    public func bind(_ endpoint: String) throws(ZMQError) -> String {
        // libzmq spells "any free port" as `*`; accept the more common 0 too.
        var target = endpoint
        if target.hasPrefix("tcp://"), target.hasSuffix(":0") { target = String(target.dropLast()) + "*" }
        guard zmq_bind(handle, target) == 0 else { throw ZMQError.last("zmq_bind(\(endpoint))") }
        isAttached = true
        return try get(.lastEndpoint)
    }

    /// Connects to `endpoint`; libzmq dials in the background and reconnects by itself.
    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_connect(\(endpoint))") }
        isAttached = true
    }

    /// Sends one part. Returns false when `dontWait` is set and the send would block (`EAGAIN`); the message is
    /// then still in `message`. On success `message` is left empty.
    @discardableResult
    public func send(_ message: inout ZMQMessage, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        let flags = (more ? ZMQ_SNDMORE : 0) | (dontWait ? ZMQ_DONTWAIT : 0)
        while true {
            let rc = message.withRaw { zmq_msg_send($0, handle, flags) }
            if rc >= 0 { return true }
            let number = zmq_errno()
            if number == EINTR { continue }
            if number == EAGAIN && dontWait { return false }
            throw ZMQError(ZMQError.Code(errno: number), "zmq_msg_send on \(type): \(String(cString: zmq_strerror(number)))")
        }
    }

    /// Sends a copy of `bytes` as one part; returns false on `EAGAIN` with `dontWait`.
    @discardableResult
    public func send(bytes: UnsafeRawBufferPointer, more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        var message = try ZMQMessage(copying: bytes)
        return try send(&message, more: more, dontWait: dontWait)
    }

    /// Sends a copy of `bytes` as one part; returns false on `EAGAIN` with `dontWait`.
    @discardableResult
    public func send(_ bytes: [UInt8], more: Bool = false, dontWait: Bool = false) throws(ZMQError) -> Bool {
        var message = try ZMQMessage(count: bytes.count)
        message.withUnsafeMutableBytes { target in bytes.withUnsafeBytes { target.copyMemory(from: $0) } }
        return try send(&message, more: more, dontWait: dontWait)
    }

    /// Receives one part into `message` (replacing its content). Returns false when `dontWait` is set and nothing
    /// is waiting.
    public func receive(into message: inout ZMQMessage, dontWait: Bool = false) throws(ZMQError) -> Bool {
        while true {
            let rc = message.withRaw { zmq_msg_recv($0, handle, dontWait ? ZMQ_DONTWAIT : 0) }
            if rc >= 0 { return true }
            let number = zmq_errno()
            if number == EINTR { continue }
            if number == EAGAIN && dontWait { return false }
            throw ZMQError(ZMQError.Code(errno: number), "zmq_msg_recv on \(type): \(String(cString: zmq_strerror(number)))")
        }
    }

    /// Receives every part of the next message as byte arrays; nil when `dontWait` is set and nothing is waiting.
    /// Convenient for tests and control sockets; the transport's hot path receives parts one by one.
    public func receiveMultipart(dontWait: Bool = false) throws(ZMQError) -> [[UInt8]]? {
        var parts: [[UInt8]] = []
        var message = ZMQMessage()
        guard try receive(into: &message, dontWait: dontWait) else { return nil }
        parts.append(message.bytes())
        while message.hasMore {
            _ = try receive(into: &message)
            parts.append(message.bytes())
        }
        return parts
    }

    /// Sends `parts` as one multipart message (copies). Returns false on `EAGAIN` for the first part with
    /// `dontWait`; libzmq accepts the remaining parts once the first is in.
    @discardableResult
    public func sendMultipart(_ parts: [[UInt8]], dontWait: Bool = false) throws(ZMQError) -> Bool {
        for (index, part) in parts.enumerated() {
            let sent = try send(part, more: index < parts.count - 1, dontWait: dontWait)
            if !sent {
                guard index == 0 else {
                    throw ZMQError(.wouldBlock, "libzmq refused part \(index) of a \(parts.count)-part message")
                }
                return false
            }
        }
        return true
    }

    /// The pending events, as `ZMQ_POLLIN`/`ZMQ_POLLOUT` bits (also processes libzmq's internal commands).
    public var events: Int32 { (try? get(.events)) ?? 0 }

    /// Starts publishing this socket's events (`ZMQ_EVENT_*` bits) on a PAIR endpoint; see `ZMQMonitor`.
    public func startMonitor(endpoint: String, events: Int32) throws(ZMQError) {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else {
            throw ZMQError.last("zmq_socket_monitor(\(endpoint))")
        }
    }

    /// Stops publishing events.
    public func stopMonitor() {
        _ = zmq_socket_monitor(handle, nil, 0)
    }

    /// Closes the socket; pending messages are dropped or kept according to `LINGER`. Idempotent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        zmq_close(handle)
    }
}
