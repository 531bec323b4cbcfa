#if canImport(Glibc)
import Glibc
#endif

/// An immutable, reference-counted run of bytes: one frame of a message.
///
/// A buffer either owns memory it copied or adopted, or borrows memory kept alive by an owner object (a KV block, an
/// activation tensor), so large payloads go to the transport without a copy: a zero-copy sender releases the buffer
/// only when the network library has finished with the bytes. The bytes must not change while any `Buffer` refers
/// to them.
public final class Buffer: @unchecked Sendable {
    /// The first byte (nil only when `count` is 0).
    public let baseAddress: UnsafeRawPointer?
    /// The number of bytes.
    public let count: Int
    private let release: Release

    private enum Release {
        case none
        case free
        case owner(AnyObject)
        case custom(@Sendable (UnsafeMutableRawPointer?) -> Void)
    }

    /// A copy of `bytes`.
    public init(copying bytes: UnsafeRawBufferPointer) {
        count = bytes.count
        if bytes.count > 0, let source = bytes.baseAddress {
            let memory = malloc(bytes.count)!
            memcpy(memory, source, bytes.count)
            baseAddress = UnsafeRawPointer(memory)
            release = .free
        } else {
            baseAddress = nil
            release = .none
        }
    }

    /// A copy of the bytes of `array`.
    public init(_ array: [UInt8]) {
        // Copy inside `withUnsafeBytes`: the pointer it gives is only valid there (a temporary array may be freed
        // as soon as the closure returns).
        count = array.count
        if array.isEmpty {
            baseAddress = nil
            release = .none
        } else {
            let memory = malloc(array.count)!
            array.withUnsafeBytes { _ = memcpy(memory, $0.baseAddress!, $0.count) }
            baseAddress = UnsafeRawPointer(memory)
            release = .free
        }
    }

    /// A copy of the bytes of any collection of bytes.
    public convenience init(bytes: some Sequence<UInt8>) {
        self.init(Array(bytes))
    }

    /// A copy of the raw bytes of `floats` (native byte order, which on every supported host is little-endian).
    public convenience init(copyingFloats floats: UnsafeBufferPointer<Float>) {
        self.init(copying: UnsafeRawBufferPointer(floats))
    }

    /// Takes ownership of malloc'ed memory; it is `free`d when the buffer dies.
    public init(adoptingMalloced pointer: UnsafeMutableRawPointer, count: Int) {
        baseAddress = UnsafeRawPointer(pointer)
        self.count = count
        release = .free
    }

    /// Borrows `count` bytes at `pointer`, which `owner` keeps alive; the buffer retains `owner` until it dies.
    public init(borrowing pointer: UnsafeRawPointer, count: Int, owner: AnyObject) {
        baseAddress = pointer
        self.count = count
        release = .owner(owner)
    }

    /// Takes memory that `deallocate` releases when the buffer dies (e.g. a network library's message).
    public init(pointer: UnsafeRawPointer?, count: Int, deallocate: @escaping @Sendable (UnsafeMutableRawPointer?) -> Void) {
        baseAddress = pointer
        self.count = count
        release = .custom(deallocate)
    }

    deinit {
        switch release {
        case .none, .owner:
            break
        case .free:
            free(UnsafeMutableRawPointer(mutating: baseAddress))
        case .custom(let deallocate):
            deallocate(UnsafeMutableRawPointer(mutating: baseAddress))
        }
    }

    /// Calls `body` with the bytes. The pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        defer { withExtendedLifetime(self) {} }
        return try body(UnsafeRawBufferPointer(start: baseAddress, count: count))
    }

    /// The bytes as a new array.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// An empty buffer.
    public static let empty = Buffer(copying: UnsafeRawBufferPointer(start: nil, count: 0))
}
