import CZeroMQ

/// A value type a socket option can hold: `Int32`, `Int64`, `Bool`, `String` or `[UInt8]`.
public protocol ZMQOptionValue {
    /// Calls `body` with the bytes libzmq expects for this value.
    func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R
    /// Reads the option from `socket`.
    static func read(from socket: UnsafeMutableRawPointer, option: Int32, name: String) throws(ZMQError) -> Self
}

/// A typed socket option. The constants below cover what Brigade sets; `init` names any other.
///
/// Most options apply only to later `bind`/`connect` calls (zmq_setsockopt(3)); `ZMQSocket` refuses to set those
/// once the socket is bound or connected, so a misplaced setting fails loudly instead of silently doing nothing.
public struct ZMQSocketOption<Value: ZMQOptionValue>: Sendable {
    /// The libzmq constant (`ZMQ_LINGER`…).
    public let rawValue: Int32
    /// The option's name, for error messages.
    public let name: String
    /// True when libzmq honours a change after the socket is bound or connected.
    public let appliesAfterAttach: Bool

    /// - Parameters:
    ///   - rawValue: the libzmq constant.
    ///   - name: the option's name, for errors.
    ///   - appliesAfterAttach: whether the option may be changed on a bound or connected socket.
    public init(_ rawValue: Int32, name: String, appliesAfterAttach: Bool = false) {
        self.rawValue = rawValue
        self.name = name
        self.appliesAfterAttach = appliesAfterAttach
    }
}

extension ZMQSocketOption where Value == Int32 {
    /// Milliseconds unsent messages are kept after `close` (libzmq's default -1 hangs shutdown: use 0).
    public static var linger: Self { .init(ZMQ_LINGER, name: "LINGER", appliesAfterAttach: true) }
    /// Most messages queued per peer for sending (0 = unbounded).
    public static var sendHighWaterMark: Self { .init(ZMQ_SNDHWM, name: "SNDHWM") }
    /// Most messages queued per peer on receipt (0 = unbounded).
    public static var receiveHighWaterMark: Self { .init(ZMQ_RCVHWM, name: "RCVHWM") }
    /// Milliseconds between ZMTP PINGs (0 = off).
    public static var heartbeatInterval: Self { .init(ZMQ_HEARTBEAT_IVL, name: "HEARTBEAT_IVL") }
    /// Milliseconds without any traffic after a PING before the connection is dropped.
    public static var heartbeatTimeout: Self { .init(ZMQ_HEARTBEAT_TIMEOUT, name: "HEARTBEAT_TIMEOUT") }
    /// Milliseconds the remote peer waits for traffic before dropping us (rounded to 100 ms).
    public static var heartbeatTTL: Self { .init(ZMQ_HEARTBEAT_TTL, name: "HEARTBEAT_TTL") }
    /// Milliseconds before the first reconnect attempt.
    public static var reconnectInterval: Self { .init(ZMQ_RECONNECT_IVL, name: "RECONNECT_IVL") }
    /// Upper bound of the exponential reconnect backoff, in ms (0 = no backoff).
    public static var reconnectIntervalMax: Self { .init(ZMQ_RECONNECT_IVL_MAX, name: "RECONNECT_IVL_MAX") }
    /// Milliseconds a new connection may take to finish its ZMTP (and security) handshake.
    public static var handshakeInterval: Self { .init(ZMQ_HANDSHAKE_IVL, name: "HANDSHAKE_IVL") }
    /// Milliseconds a blocking send may wait (-1 = forever).
    public static var sendTimeout: Self { .init(ZMQ_SNDTIMEO, name: "SNDTIMEO", appliesAfterAttach: true) }
    /// Milliseconds a blocking receive may wait (-1 = forever).
    public static var receiveTimeout: Self { .init(ZMQ_RCVTIMEO, name: "RCVTIMEO", appliesAfterAttach: true) }
    /// The pending-event bits (`ZMQ_POLLIN`, `ZMQ_POLLOUT`); read-only.
    public static var events: Self { .init(ZMQ_EVENTS, name: "EVENTS", appliesAfterAttach: true) }
    /// Kernel send buffer size in bytes (0 = OS default).
    public static var sendBuffer: Self { .init(ZMQ_SNDBUF, name: "SNDBUF") }
    /// Kernel receive buffer size in bytes (0 = OS default).
    public static var receiveBuffer: Self { .init(ZMQ_RCVBUF, name: "RCVBUF") }
}

extension ZMQSocketOption where Value == Int64 {
    /// Largest inbound message part in bytes; a peer that sends a bigger one is disconnected (-1 = no limit, the
    /// dangerous default).
    public static var maxMessageSize: Self { .init(ZMQ_MAXMSGSIZE, name: "MAXMSGSIZE") }
}

extension ZMQSocketOption where Value == Bool {
    /// ROUTER: fail a send to an unknown peer with `EHOSTUNREACH` instead of dropping it silently.
    public static var routerMandatory: Self { .init(ZMQ_ROUTER_MANDATORY, name: "ROUTER_MANDATORY", appliesAfterAttach: true) }
    /// ROUTER: a new connection with a routing id in use takes it over instead of being ignored.
    public static var routerHandover: Self { .init(ZMQ_ROUTER_HANDOVER, name: "ROUTER_HANDOVER", appliesAfterAttach: true) }
    /// Queue messages only on completed connections; a send with none fails with `EAGAIN`.
    public static var immediate: Self { .init(ZMQ_IMMEDIATE, name: "IMMEDIATE") }
    /// Act as the CURVE server of the connection (needs `curveSecretKey`).
    public static var curveServer: Self { .init(ZMQ_CURVE_SERVER, name: "CURVE_SERVER") }
    /// Fail the handshake when `zapDomain` is set and no ZAP handler is bound, instead of admitting everyone.
    /// Debian's 4.3.4 accepts it although its header lists it as draft (verified by ZeroMQBindingTests).
    public static var zapEnforceDomain: Self { .init(93, name: "ZAP_ENFORCE_DOMAIN") }
    /// Reports whether the last message part received has more parts after it; read-only.
    public static var receiveMore: Self { .init(ZMQ_RCVMORE, name: "RCVMORE", appliesAfterAttach: true) }
}

extension ZMQSocketOption where Value == String {
    /// This socket's CURVE public key (Z85, 40 characters).
    public static var curvePublicKey: Self { .init(ZMQ_CURVE_PUBLICKEY, name: "CURVE_PUBLICKEY") }
    /// This socket's CURVE secret key (Z85, 40 characters).
    public static var curveSecretKey: Self { .init(ZMQ_CURVE_SECRETKEY, name: "CURVE_SECRETKEY") }
    /// The CURVE server's public key, set on a client socket (Z85, 40 characters).
    public static var curveServerKey: Self { .init(ZMQ_CURVE_SERVERKEY, name: "CURVE_SERVERKEY") }
    /// The ZAP domain sent to the handler; also switches ZAP on for NULL sockets.
    public static var zapDomain: Self { .init(ZMQ_ZAP_DOMAIN, name: "ZAP_DOMAIN") }
    /// The endpoint last bound or connected, with an ephemeral port resolved; read-only.
    public static var lastEndpoint: Self { .init(ZMQ_LAST_ENDPOINT, name: "LAST_ENDPOINT", appliesAfterAttach: true) }
}

extension ZMQSocketOption where Value == [UInt8] {
    /// The identity this socket presents to a ROUTER peer (1…255 bytes, not starting with 0).
    public static var routingID: Self { .init(ZMQ_ROUTING_ID, name: "ROUTING_ID") }
}

extension Int32: ZMQOptionValue {
    /// See `ZMQOptionValue.withOptionBytes`.
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { Swift.withUnsafeBytes(of: self, body) }
    /// See `ZMQOptionValue.read`.
    public static func read(from socket: UnsafeMutableRawPointer, option: Int32, name: String) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(socket, option, &value, &size) == 0 else { throw ZMQError.last("zmq_getsockopt(\(name))") }
        return value
    }
}

extension Int64: ZMQOptionValue {
    /// See `ZMQOptionValue.withOptionBytes`.
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { Swift.withUnsafeBytes(of: self, body) }
    /// See `ZMQOptionValue.read`.
    public static func read(from socket: UnsafeMutableRawPointer, option: Int32, name: String) throws(ZMQError) -> Int64 {
        var value: Int64 = 0
        var size = MemoryLayout<Int64>.size
        guard zmq_getsockopt(socket, option, &value, &size) == 0 else { throw ZMQError.last("zmq_getsockopt(\(name))") }
        return value
    }
}

extension Bool: ZMQOptionValue {
    /// See `ZMQOptionValue.withOptionBytes`.
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { Int32(self ? 1 : 0).withOptionBytes(body) }
    /// See `ZMQOptionValue.read`.
    public static func read(from socket: UnsafeMutableRawPointer, option: Int32, name: String) throws(ZMQError) -> Bool {
        try Int32.read(from: socket, option: option, name: name) != 0
    }
}

extension String: ZMQOptionValue {
    /// See `ZMQOptionValue.withOptionBytes`.
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = self
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
    /// See `ZMQOptionValue.read`.
    public static func read(from socket: UnsafeMutableRawPointer, option: Int32, name: String) throws(ZMQError) -> String {
        var bytes = try [UInt8].read(from: socket, option: option, name: name)
        if let end = bytes.firstIndex(of: 0) { bytes.removeSubrange(end...) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Array: ZMQOptionValue where Element == UInt8 {
    /// See `ZMQOptionValue.withOptionBytes`.
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { withUnsafeBytes(body) }
    /// See `ZMQOptionValue.read`.
    public static func read(from socket: UnsafeMutableRawPointer, option: Int32, name: String) throws(ZMQError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(socket, option, &buffer, &size) == 0 else { throw ZMQError.last("zmq_getsockopt(\(name))") }
        return Array(buffer[..<size])
    }
}
