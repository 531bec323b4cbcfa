import Distributed

/// Decodes what `BinaryEncoder` wrote. Every read is bounds-checked: bad bytes give a `DecodingError` that names
/// the coding path and what was wrong, never a trap.
public struct BinaryDecoder {
    /// Passed to the values' `init(from:)` as `Decoder.userInfo` (the actor system puts itself here, so actor
    /// references decode).
    public var userInfo: [CodingUserInfoKey: any Sendable]

    /// - Parameter userInfo: what values see as `Decoder.userInfo`.
    public init(userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.userInfo = userInfo
    }

    /// Decodes a `T` from `bytes`. Trailing bytes are an error.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        let core = DecoderCore(base: bytes.baseAddress, userInfo: userInfo)
        var reader = ByteReader(bytes)
        let value = try core.readValue(T.self, from: &reader, path: [])
        guard reader.isAtEnd else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "\(reader.remaining) bytes left after the \(T.self)"))
        }
        return value
    }

    /// Decodes a `T` from an array of bytes.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(type, from: $0) }
    }
}

/// What one decoding shares between its containers: the bytes and the user info.
final class DecoderCore {
    let base: UnsafeRawPointer?
    private let baseUserInfo: [CodingUserInfoKey: any Sendable]
    private let actorSystem: (any DistributedActorSystem)?

    /// - Parameter actorSystem: added to `userInfo` under `.actorSystemKey` when a value asks for it (so distributed
    ///   actor references decode), without building a dictionary for every call.
    init(base: UnsafeRawPointer?, userInfo: [CodingUserInfoKey: any Sendable], actorSystem: (any DistributedActorSystem)? = nil) {
        self.base = base
        baseUserInfo = userInfo
        self.actorSystem = actorSystem
    }

    lazy var userInfo: [CodingUserInfoKey: Any] = {
        var info: [CodingUserInfoKey: Any] = baseUserInfo
        if let actorSystem { info[.actorSystemKey] = actorSystem }
        return info
    }()

    static func corrupted(_ path: [any CodingKey], _ what: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: path, debugDescription: what))
    }

    static func underrun(_ path: [any CodingKey], _ type: Any.Type, _ error: ByteReader.Underrun) -> DecodingError {
        corrupted(path, "truncated \(type): needed \(error.needed) bytes, \(error.available) left")
    }

    /// A value as written by `EncoderCore.writeValue`.
    func readValue<T: Decodable>(_ type: T.Type, from reader: inout ByteReader, path: [any CodingKey]) throws -> T {
        do {
            if let value = try readPrimitive(T.self, from: &reader, path: path) { return value }
            if let optional = T.self as? any BinaryOptionalDecodable.Type {
                return try optional.binaryDecode(from: self, reader: &reader, path: path) as! T
            }
            let length = try reader.readFixed(UInt32.self)
            let range = try reader.readRange(Int(length))
            return try T(from: BinaryDecoderImpl(core: self, range: range, codingPath: path))
        } catch let error as ByteReader.Underrun {
            throw Self.underrun(path, T.self, error)
        }
    }

    /// The body of a keyed entry, as written by `EncoderCore.writeEntry`; it must fill `range` exactly when
    /// primitive.
    func readBody<T: Decodable>(_ type: T.Type, range: Range<Int>, path: [any CodingKey]) throws -> T {
        var reader = ByteReader(base: base, range: range)
        do {
            if let value = try readPrimitive(T.self, from: &reader, path: path) {
                guard reader.isAtEnd else { throw Self.corrupted(path, "\(reader.remaining) bytes left after the \(T.self)") }
                return value
            }
            if let optional = T.self as? any BinaryOptionalDecodable.Type {
                return try optional.binaryDecode(from: self, reader: &reader, path: path) as! T
            }
            return try T(from: BinaryDecoderImpl(core: self, range: range, codingPath: path))
        } catch let error as ByteReader.Underrun {
            throw Self.underrun(path, T.self, error)
        }
    }

    /// Reads `T` if it is one of the primitive types the format stores raw; nil otherwise.
    @inline(__always)
    func readPrimitive<T>(_ type: T.Type, from reader: inout ByteReader, path: [any CodingKey]) throws -> T? {
        if T.self == Int.self { return unsafeBitCast(try narrow(reader.readZigzag(), Int.self, path), to: T.self) }
        if T.self == String.self {
            guard let string = try reader.readString() else { throw Self.corrupted(path, "string is not valid UTF-8") }
            return unsafeBitCast(string, to: T.self)
        }
        if T.self == Double.self { return unsafeBitCast(Double(bitPattern: try reader.readFixed(UInt64.self)), to: T.self) }
        if T.self == Bool.self {
            let byte = try reader.readByte()
            guard byte <= 1 else { throw Self.corrupted(path, "Bool byte is \(byte), not 0 or 1") }
            return unsafeBitCast(byte == 1, to: T.self)
        }
        if T.self == UInt64.self { return unsafeBitCast(try reader.readVarint(), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try reader.readZigzag(), to: T.self) }
        if T.self == UInt.self { return unsafeBitCast(try narrow(reader.readVarint(), UInt.self, path), to: T.self) }
        if T.self == Float.self { return unsafeBitCast(Float(bitPattern: try reader.readFixed(UInt32.self)), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try narrow(reader.readZigzag(), Int32.self, path), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try narrow(reader.readVarint(), UInt32.self, path), to: T.self) }
        if T.self == Int16.self { return unsafeBitCast(try narrow(reader.readZigzag(), Int16.self, path), to: T.self) }
        if T.self == UInt16.self { return unsafeBitCast(try narrow(reader.readVarint(), UInt16.self, path), to: T.self) }
        if T.self == Int8.self { return unsafeBitCast(try narrow(reader.readZigzag(), Int8.self, path), to: T.self) }
        if T.self == UInt8.self { return unsafeBitCast(try reader.readByte(), to: T.self) }
        if T.self == [UInt8].self { return unsafeBitCast(try readArray(UInt8.self, from: &reader, path: path), to: T.self) }
        if T.self == [Float].self { return unsafeBitCast(try readArray(Float.self, from: &reader, path: path), to: T.self) }
        if T.self == [Double].self { return unsafeBitCast(try readArray(Double.self, from: &reader, path: path), to: T.self) }
        return nil
    }

    private func narrow<Wide: BinaryInteger, Narrow: FixedWidthInteger>(
        _ value: Wide, _: Narrow.Type, _ path: [any CodingKey]
    ) throws -> Narrow {
        guard let narrow = Narrow(exactly: value) else { throw Self.corrupted(path, "\(value) does not fit in \(Narrow.self)") }
        return narrow
    }

    private func readArray<E: BitwiseCopyable>(_: E.Type, from reader: inout ByteReader, path: [any CodingKey]) throws -> [E] {
        let count = try reader.readVarint()
        let stride = UInt64(MemoryLayout<E>.stride)
        guard count <= UInt64(reader.remaining) / stride else {
            throw Self.corrupted(path, "array of \(count) \(E.self) is longer than the \(reader.remaining) bytes left")
        }
        let range = try reader.readRange(Int(count * stride))
        // An empty array is the shared empty storage, and `init(unsafeUninitializedCapacity:)` would write its count
        // there, racing every thread that reads an empty array (the thread sanitizer reports it).
        guard count > 0 else { return [] }
        let source = reader.bytes(range)
        return [E](unsafeUninitializedCapacity: Int(count)) { buffer, initialized in
            if let destination = buffer.baseAddress, let from = source.baseAddress {
                UnsafeMutableRawPointer(destination).copyMemory(from: from, byteCount: source.count)
            }
            initialized = Int(count)
        }
    }
}

/// Lets the decoder build an `Optional` of a type it only knows dynamically.
protocol BinaryOptionalDecodable {
    static func binaryDecode(from core: DecoderCore, reader: inout ByteReader, path: [any CodingKey]) throws -> Any
}

extension Optional: BinaryOptionalDecodable where Wrapped: Decodable {
    static func binaryDecode(from core: DecoderCore, reader: inout ByteReader, path: [any CodingKey]) throws -> Any {
        switch try reader.readByte() {
        case 0: return Self.none as Any
        case 1: return Self.some(try core.readValue(Wrapped.self, from: &reader, path: path)) as Any
        case let byte: throw DecoderCore.corrupted(path, "optional presence byte is \(byte), not 0 or 1")
        }
    }
}
