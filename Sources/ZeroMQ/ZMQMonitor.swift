import CZeroMQ
import Synchronization

/// One event of a monitored socket (`zmq_socket_monitor`, event format v1).
public struct ZMQMonitorEvent: Sendable, Equatable, CustomStringConvertible {
    /// What happened; an open set of libzmq's `ZMQ_EVENT_*` bits.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        /// The `ZMQ_EVENT_*` bit.
        public let rawValue: UInt16
        /// - Parameter rawValue: a `ZMQ_EVENT_*` bit.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// A connection to a peer was made (TCP level, before the ZMTP handshake).
        public static let connected = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECTED))
        /// A connect attempt is pending.
        public static let connectDelayed = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECT_DELAYED))
        /// A reconnect was scheduled; the value is the interval in ms.
        public static let connectRetried = Kind(rawValue: UInt16(ZMQ_EVENT_CONNECT_RETRIED))
        /// The socket is listening.
        public static let listening = Kind(rawValue: UInt16(ZMQ_EVENT_LISTENING))
        /// A bind failed; the value is the errno.
        public static let bindFailed = Kind(rawValue: UInt16(ZMQ_EVENT_BIND_FAILED))
        /// A connection from a peer was accepted.
        public static let accepted = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPTED))
        /// Accepting a connection failed; the value is the errno.
        public static let acceptFailed = Kind(rawValue: UInt16(ZMQ_EVENT_ACCEPT_FAILED))
        /// A connection was closed.
        public static let closed = Kind(rawValue: UInt16(ZMQ_EVENT_CLOSED))
        /// An established session went down (peer gone, heartbeat timeout, protocol error).
        public static let disconnected = Kind(rawValue: UInt16(ZMQ_EVENT_DISCONNECTED))
        /// Monitoring stopped.
        public static let monitorStopped = Kind(rawValue: UInt16(ZMQ_EVENT_MONITOR_STOPPED))
        /// The handshake failed without a more precise reason; the value is the errno.
        public static let handshakeFailedNoDetail = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
        /// The ZMTP (and security) handshake succeeded: the connection can carry messages.
        public static let handshakeSucceeded = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_SUCCEEDED))
        /// The handshake failed on a protocol error; the value is a `ZMQ_PROTOCOL_ERROR_*` code.
        public static let handshakeFailedProtocol = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
        /// Authentication failed; the value is the ZAP status code (e.g. 400).
        public static let handshakeFailedAuth = Kind(rawValue: UInt16(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH))

        /// True for the three handshake-failure kinds.
        public var isHandshakeFailure: Bool {
            self == .handshakeFailedNoDetail || self == .handshakeFailedProtocol || self == .handshakeFailedAuth
        }

        public var description: String {
            switch self {
            case .connected: "connected"
            case .connectDelayed: "connect delayed"
            case .connectRetried: "connect retried"
            case .listening: "listening"
            case .bindFailed: "bind failed"
            case .accepted: "accepted"
            case .acceptFailed: "accept failed"
            case .closed: "closed"
            case .disconnected: "disconnected"
            case .monitorStopped: "monitor stopped"
            case .handshakeFailedNoDetail: "handshake failed"
            case .handshakeSucceeded: "handshake succeeded"
            case .handshakeFailedProtocol: "handshake failed (protocol)"
            case .handshakeFailedAuth: "handshake failed (authentication)"
            default: "event 0x\(String(rawValue, radix: 16))"
            }
        }
    }

    /// What happened.
    public var kind: Kind
    /// The event's value: an fd, an errno, a retry interval, a protocol-error code or a ZAP status, by kind.
    public var value: UInt32
    /// The endpoint the event concerns (for a bound socket, its own endpoint: libzmq gives no peer id).
    public var endpoint: String

    /// - Parameters:
    ///   - kind: what happened.
    ///   - value: the kind-specific value.
    ///   - endpoint: the endpoint concerned.
    public init(kind: Kind, value: UInt32, endpoint: String) {
        self.kind = kind
        self.value = value
        self.endpoint = endpoint
    }

    public var description: String {
        switch kind {
        case .handshakeFailedProtocol: "\(kind) 0x\(String(value, radix: 16)) on \(endpoint)"
        case .handshakeFailedAuth: "\(kind) status \(value) on \(endpoint)"
        default: "\(kind) on \(endpoint)"
        }
    }
}

private let nextMonitorNumber = Atomic<UInt64>(0)

/// Receives a socket's events: libzmq publishes them on an `inproc://` PAIR endpoint, which this class connects to.
/// Start it before the watched socket binds or connects to see every event. Confined to one thread, like sockets.
public final class ZMQMonitor {
    /// The PAIR socket the events arrive on; poll it for readability.
    public let socket: ZMQSocket
    private weak var watched: ZMQSocket?

    /// Starts monitoring `watched` for `events` (`ZMQ_EVENT_*` bits; all by default).
    public init(watching watched: ZMQSocket, in context: ZMQContext, events: Int32 = ZMQ_EVENT_ALL) throws(ZMQError) {
        let number = nextMonitorNumber.add(1, ordering: .relaxed).newValue
        let endpoint = "inproc://zeromq.monitor.\(number)"
        try watched.startMonitor(endpoint: endpoint, events: events)
        let pair = try ZMQSocket(context, type: .pair)
        try pair.set(.linger, 0)
        do {
            try pair.connect(endpoint)
        } catch {
            watched.stopMonitor()
            throw error
        }
        socket = pair
        self.watched = watched
    }

    /// The next event, or nil when none is waiting (never blocks). Malformed event messages are skipped.
    public func next() throws(ZMQError) -> ZMQMonitorEvent? {
        while let parts = try socket.receiveMultipart(dontWait: true) {
            guard parts.count == 2, parts[0].count == 6 else { continue }
            let (kind, value) = parts[0].withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: 0, as: UInt16.self), raw.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            }
            return ZMQMonitorEvent(kind: Kind(rawValue: kind), value: value, endpoint: String(decoding: parts[1], as: UTF8.self))
        }
        return nil
    }

    /// Every event waiting now.
    public func drain() throws(ZMQError) -> [ZMQMonitorEvent] {
        var events: [ZMQMonitorEvent] = []
        while let event = try next() { events.append(event) }
        return events
    }

    /// Stops monitoring and closes the PAIR socket. Call it before closing the watched socket's context.
    public func close() {
        if let watched, !watched.isClosed { watched.stopMonitor() }
        socket.close()
    }

    private typealias Kind = ZMQMonitorEvent.Kind
}
