import Transport

/// A compact binary `Encoder` for call arguments, results and errors: several times cheaper than JSON.
///
/// The format is positional and type-directed (the decoder must ask for the same types in the same order):
/// integers are varints (signed ones zigzag), floating point values their little-endian bits, strings and
/// `[UInt8]`/`[Float]`/`[Double]` a varint count plus raw bytes, optionals a presence byte. A value that encodes
/// itself through containers is a 4-byte length plus its body; a keyed container is a run of entries
/// (key string, 4-byte length, body), so fields may be read in any order, skipped, or be absent (`encodeIfPresent`).
/// Limits: custom `encodeNil`/`decodeNil` pairs outside `Optional` are ambiguous in an unkeyed container, and
/// `decode(T?.self, forKey:)` must pair with `encode(T?, forKey:)` (not `encodeIfPresent`).
public struct BinaryEncoder {
    /// Passed to the values' `encode(to:)` as `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// - Parameter userInfo: what values see as `Encoder.userInfo`.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// The bytes of `value`.
    /// - Throws: `EncodingError` naming the coding path of a value that cannot be encoded.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let core = EncoderCore(userInfo: userInfo)
        try core.writeValue(value, path: [])
        return Array(core.writer.bytes)
    }

    /// The bytes of `value` in a `Buffer`, without an extra copy.
    public func encodeToBuffer<T: Encodable>(_ value: T) throws -> Buffer {
        let core = EncoderCore(userInfo: userInfo)
        try core.writeValue(value, path: [])
        return core.take()
    }
}

/// The state one encoding shares between its containers: the output and the stack of open length placeholders.
///
/// Containers write straight into the output. A nested container opens a region (a 4-byte length placeholder); a
/// region is closed, and its length patched, as soon as a container outside it writes again, or when the value that
/// opened it is done.
final class EncoderCore {
    var writer: ByteWriter
    private var taken = false
    private var openOffsets: [Int] = []
    private var openIDs: [UInt32] = []
    private var nextRegion: UInt32 = 0
    private let sendableUserInfo: [CodingUserInfoKey: any Sendable]

    init(userInfo: [CodingUserInfoKey: any Sendable] = [:], capacity: Int = 128) {
        writer = ByteWriter(capacity: capacity)
        sendableUserInfo = userInfo
    }

    /// Converted only when a value asks (the conversion allocates a dictionary).
    var userInfo: [CodingUserInfoKey: Any] { sendableUserInfo }

    deinit {
        if !taken { writer.deallocate() }
    }

    /// The bytes, handed over without a copy. Call once; the core must not be written afterwards.
    func take() -> Buffer {
        precondition(!taken, "EncoderCore.take() called twice")
        taken = true
        return writer.take()
    }

    /// A region: where a container writes.
    struct Region {
        var depth: Int
        var id: UInt32
        static let root = Region(depth: 0, id: 0)
    }

    func beginRegion() -> Region {
        nextRegion &+= 1
        openOffsets.append(writer.reserveLength())
        openIDs.append(nextRegion)
        return Region(depth: openOffsets.count, id: nextRegion)
    }

    func closeRegions(downTo depth: Int) {
        while openOffsets.count > depth {
            writer.patchLength(at: openOffsets.removeLast())
            openIDs.removeLast()
        }
    }

    /// Closes every region nested inside `region`, and checks `region` is still open.
    func prepare(_ region: Region, path: [any CodingKey]) throws {
        guard openOffsets.count >= region.depth, region.depth == 0 || openIDs[region.depth - 1] == region.id else {
            throw EncodingError.invalidValue(
                (), .init(codingPath: path, debugDescription: "container written after its parent moved on (BinaryEncoder)"))
        }
        closeRegions(downTo: region.depth)
    }

    /// A value as it appears in an unkeyed or single-value container: raw primitive, presence byte plus value, or
    /// 4-byte length plus body.
    func writeValue<T: Encodable>(_ value: T, path: [any CodingKey]) throws {
        if writePrimitive(value) { return }
        if let optional = value as? any BinaryOptional {
            try optional.binaryEncode(into: self, path: path)
            return
        }
        let region = beginRegion()
        try value.encode(to: BinaryEncoderImpl(core: self, region: region, codingPath: path))
        closeRegions(downTo: region.depth - 1)
    }

    /// Writes `value` if it is one of the primitive types the format stores raw; returns false otherwise.
    @inline(__always)
    func writePrimitive<T>(_ value: T) -> Bool {
        if T.self == Int.self { writer.writeZigzag(Int64(unsafeBitCast(value, to: Int.self))); return true }
        if T.self == String.self { writer.writeString(unsafeBitCast(value, to: String.self)); return true }
        if T.self == Double.self { writer.writeFixed(unsafeBitCast(value, to: Double.self).bitPattern); return true }
        if T.self == Bool.self { writer.writeByte(unsafeBitCast(value, to: Bool.self) ? 1 : 0); return true }
        if T.self == UInt64.self { writer.writeVarint(unsafeBitCast(value, to: UInt64.self)); return true }
        if T.self == Int64.self { writer.writeZigzag(unsafeBitCast(value, to: Int64.self)); return true }
        if T.self == UInt.self { writer.writeVarint(UInt64(unsafeBitCast(value, to: UInt.self))); return true }
        if T.self == Float.self { writer.writeFixed(unsafeBitCast(value, to: Float.self).bitPattern); return true }
        if T.self == Int32.self { writer.writeZigzag(Int64(unsafeBitCast(value, to: Int32.self))); return true }
        if T.self == UInt32.self { writer.writeVarint(UInt64(unsafeBitCast(value, to: UInt32.self))); return true }
        if T.self == Int16.self { writer.writeZigzag(Int64(unsafeBitCast(value, to: Int16.self))); return true }
        if T.self == UInt16.self { writer.writeVarint(UInt64(unsafeBitCast(value, to: UInt16.self))); return true }
        if T.self == Int8.self { writer.writeZigzag(Int64(unsafeBitCast(value, to: Int8.self))); return true }
        if T.self == UInt8.self { writer.writeByte(unsafeBitCast(value, to: UInt8.self)); return true }
        if T.self == [UInt8].self { writeArray(unsafeBitCast(value, to: [UInt8].self)); return true }
        if T.self == [Float].self { writeArray(unsafeBitCast(value, to: [Float].self)); return true }
        if T.self == [Double].self { writeArray(unsafeBitCast(value, to: [Double].self)); return true }
        return false
    }

    private func writeArray<E>(_ array: [E]) {
        writer.writeVarint(UInt64(array.count))
        array.withUnsafeBytes { writer.writeBytes($0) }
    }

    /// Keyed entries: the key, then a 4-byte length and the body.
    func writeKey(_ key: some CodingKey) {
        writer.writeString(key.stringValue)
    }
}

/// Lets the codec see through `Optional` without knowing its wrapped type statically.
protocol BinaryOptional {
    func binaryEncode(into core: EncoderCore, path: [any CodingKey]) throws
}

extension Optional: BinaryOptional where Wrapped: Encodable {
    func binaryEncode(into core: EncoderCore, path: [any CodingKey]) throws {
        switch self {
        case .none:
            core.writer.writeByte(0)
        case .some(let wrapped):
            core.writer.writeByte(1)
            try core.writeValue(wrapped, path: path)
        }
    }
}
