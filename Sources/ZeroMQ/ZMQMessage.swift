import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// One message part (`zmq_msg_t`), closed exactly once when the value dies.
///
/// Non-copyable: libzmq messages must never be duplicated bitwise while alive. A send hands the content to libzmq
/// and leaves the value empty; a receive fills it. Parts up to 33 bytes live inside the struct, so a data pointer is
/// only valid inside `withUnsafeBytes` (to keep received bytes at a stable address, turn the part into a `ZMQFrame`).
public struct ZMQMessage: ~Copyable {
    @usableFromInline var raw = zmq_msg_t()

    /// An empty part.
    public init() {
        zmq_msg_init(&raw)
    }

    /// A part of `count` uninitialised bytes, to fill with `withUnsafeMutableBytes`.
    public init(count: Int) throws(ZMQError) {
        guard zmq_msg_init_size(&raw, count) == 0 else { throw ZMQError.last("zmq_msg_init_size(\(count))") }
    }

    /// A part holding a copy of `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) throws(ZMQError) {
        try self.init(count: bytes.count)
        if let source = bytes.baseAddress, bytes.count > 0 {
            memcpy(zmq_msg_data(&raw), source, bytes.count)
        }
    }

    /// A part that sends `bytes` without copying them. `owner` keeps the bytes alive: it is retained now and
    /// released only from libzmq's free callback, once libzmq no longer needs the bytes (on whatever thread libzmq
    /// finishes with them). The bytes must not change until then.
    public init(borrowing bytes: UnsafeRawBufferPointer, owner: AnyObject) throws(ZMQError) {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            zmq_msg_init(&raw)
            return
        }
        let hint = Unmanaged.passRetained(owner).toOpaque()
        guard zmq_msg_init_data(&raw, UnsafeMutableRawPointer(mutating: base), bytes.count, releaseOwner, hint) == 0 else {
            Unmanaged<AnyObject>.fromOpaque(hint).release()
            throw ZMQError.last("zmq_msg_init_data(\(bytes.count) bytes)")
        }
    }

    deinit {
        var message = raw
        zmq_msg_close(&message)
    }

    /// The number of bytes.
    public var count: Int {
        mutating get { zmq_msg_size(&raw) }
    }

    /// Whether more parts of the same message follow this received part.
    public var hasMore: Bool {
        mutating get { zmq_msg_more(&raw) != 0 }
    }

    /// Calls `body` with the bytes; the pointer is valid only inside `body`.
    public mutating func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(&raw), count: zmq_msg_size(&raw)))
    }

    /// Calls `body` with the bytes, writable (for parts made with `init(count:)`, before sending).
    public mutating func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: zmq_msg_data(&raw), count: zmq_msg_size(&raw)))
    }

    /// A metadata property of a received part (`zmq_msg_gets`), e.g. "User-Id" (the ZAP handler's user id),
    /// "Peer-Address", "Socket-Type"; nil when absent.
    public mutating func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(&raw, name) else { return nil }
        return String(cString: value)
    }

    /// The bytes as a new array.
    public mutating func bytes() -> [UInt8] { withUnsafeBytes { Array($0) } }

    /// Moves the content into a heap `ZMQFrame`, whose bytes stay at one address for its whole life; this value is
    /// left empty. No bytes are copied.
    public mutating func takeFrame() -> ZMQFrame {
        ZMQFrame.make(moving: &raw)
    }

    /// Runs `body` with the underlying `zmq_msg_t`, for libzmq calls this binding does not wrap.
    public mutating func withRaw<R>(_ body: (UnsafeMutablePointer<zmq_msg_t>) throws -> R) rethrows -> R {
        try body(&raw)
    }
}

/// libzmq's free callback for zero-copy parts: drops the retain taken in `ZMQMessage(borrowing:owner:)`.
private let releaseOwner: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, hint in
    guard let hint else { return }
    Unmanaged<AnyObject>.fromOpaque(hint).release()
}

/// A received message part kept on the heap: its bytes stay at one address until the frame dies, which closes the
/// part. Immutable after creation, so a buffer that borrows its bytes (with the frame as owner) may cross threads.
public final class ZMQFrame: ManagedBuffer<ZMQFrame.Info, zmq_msg_t> {
    /// Where the bytes are.
    public struct Info {
        var baseAddress: UnsafeRawPointer?
        var count: Int
    }

    static func make(moving source: UnsafeMutablePointer<zmq_msg_t>) -> ZMQFrame {
        let storage = ZMQFrame.create(minimumCapacity: 1) { _ in Info(baseAddress: nil, count: 0) }
        let frame = unsafeDowncast(storage, to: ZMQFrame.self)
        frame.withUnsafeMutablePointers { info, message in
            zmq_msg_init(message)
            zmq_msg_move(message, source)
            info.pointee = Info(baseAddress: UnsafeRawPointer(zmq_msg_data(message)), count: zmq_msg_size(message))
        }
        return frame
    }

    deinit {
        withUnsafeMutablePointerToElements { message in _ = zmq_msg_close(message) }
    }

    /// The first byte (nil or dangling when `count` is 0).
    public var baseAddress: UnsafeRawPointer? { header.baseAddress }
    /// The number of bytes.
    public var count: Int { header.count }

    /// Calls `body` with the bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(UnsafeRawBufferPointer(start: count == 0 ? nil : baseAddress, count: count))
    }

    /// A metadata property of the part (see `ZMQMessage.property`).
    public func property(_ name: String) -> String? {
        withUnsafeMutablePointerToElements { message in
            guard let value = zmq_msg_gets(message, name) else { return nil }
            return String(cString: value)
        }
    }
}
