#if canImport(Glibc)
import Glibc
#endif

/// The `Decoder` a value's `init(from:)` sees: a range of the shared bytes.
struct BinaryDecoderImpl: Decoder {
    let core: DecoderCore
    let range: Range<Int>
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { core.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(BinaryKeyedDecoding<Key>(core: core, range: range, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        BinaryUnkeyedDecoding(core: core, range: range, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        BinarySingleValueDecoding(core: core, range: range, codingPath: codingPath)
    }
}

struct BinaryKeyedDecoding<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let core: DecoderCore
    let range: Range<Int>
    var codingPath: [any CodingKey]

    /// An entry's body, or nil for an entry written by `encodeNil(forKey:)`.
    typealias Body = Range<Int>?

    /// Calls `body` with each entry's key bytes and body until it returns true; throws on malformed entries.
    private func scan(_ body: (UnsafeRawBufferPointer, Body) -> Bool) throws {
        var reader = ByteReader(base: core.base, range: range)
        do {
            while !reader.isAtEnd {
                let keyLength = try reader.readVarint()
                guard keyLength <= UInt64(reader.remaining) else {
                    throw DecoderCore.corrupted(codingPath, "key of \(keyLength) bytes is longer than the container")
                }
                let key = try reader.readRange(Int(keyLength))
                let length = try reader.readFixed(UInt32.self)
                let value: Body = length == BinaryCodingKey.nilEntryLength ? nil : try reader.readRange(Int(length))
                if body(reader.bytes(key), value) { return }
            }
        } catch let error as ByteReader.Underrun {
            throw DecoderCore.corrupted(codingPath, "truncated keyed container: needed \(error.needed) bytes, \(error.available) left")
        }
    }

    private func find(_ key: Key) throws -> Body? {
        var name = key.stringValue
        return try name.withUTF8 { wanted in
            var found: Body?
            try scan { candidate, value in
                guard candidate.count == wanted.count,
                    candidate.count == 0 || memcmp(candidate.baseAddress!, wanted.baseAddress!, wanted.count) == 0
                else { return false }
                found = value
                return true
            }
            return found
        }
    }

    private func entry(_ key: Key) throws -> Body {
        guard let body = try find(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no entry for '\(key.stringValue)'"))
        }
        return body
    }

    /// The body of a non-nil entry.
    private func value<T>(_ key: Key, _ type: T.Type) throws -> Range<Int> {
        guard let body = try entry(key) else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath + [key], debugDescription: "'\(key.stringValue)' is nil"))
        }
        return body
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        try? scan { name, _ in
            if let string = String(validating: name, as: UTF8.self), let key = Key(stringValue: string) { keys.append(key) }
            return false
        }
        return keys
    }

    func contains(_ key: Key) -> Bool { (try? find(key)) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try entry(key) == nil }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try core.readBody(T.self, range: try value(key, T.self), path: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        KeyedDecodingContainer(BinaryKeyedDecoding<NestedKey>(core: core, range: try value(key, NestedKey.self), codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        BinaryUnkeyedDecoding(core: core, range: try value(key, [Any].self), codingPath: codingPath + [key])
    }

    func superDecoder() throws -> any Decoder {
        guard let key = Key(stringValue: "super") else {
            throw DecoderCore.corrupted(codingPath, "no 'super' key in \(Key.self)")
        }
        return try superDecoder(forKey: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        BinaryDecoderImpl(core: core, range: try value(key, Any.self), codingPath: codingPath + [key])
    }
}

struct BinaryUnkeyedDecoding: UnkeyedDecodingContainer {
    let core: DecoderCore
    var codingPath: [any CodingKey]
    private var reader: ByteReader
    private(set) var currentIndex = 0

    init(core: DecoderCore, range: Range<Int>, codingPath: [any CodingKey]) {
        self.core = core
        self.codingPath = codingPath
        reader = ByteReader(base: core.base, range: range)
    }

    var count: Int? { nil }
    var isAtEnd: Bool { reader.isAtEnd }

    private func checkNotAtEnd(_ type: Any.Type) throws {
        if reader.isAtEnd {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "no element \(currentIndex): container is at its end"))
        }
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd(Never.self)
        guard reader.peekByte() == 0 else { return false }
        reader.offset += 1
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd(T.self)
        let value = try core.readValue(T.self, from: &reader, path: codingPath)
        currentIndex += 1
        return value
    }

    private mutating func nestedRange() throws -> Range<Int> {
        try checkNotAtEnd(Any.self)
        do {
            let length = try reader.readFixed(UInt32.self)
            currentIndex += 1
            return try reader.readRange(Int(length))
        } catch {
            throw DecoderCore.underrun(codingPath, Any.self, error)
        }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(BinaryKeyedDecoding<NestedKey>(core: core, range: try nestedRange(), codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        BinaryUnkeyedDecoding(core: core, range: try nestedRange(), codingPath: codingPath)
    }

    mutating func superDecoder() throws -> any Decoder {
        BinaryDecoderImpl(core: core, range: try nestedRange(), codingPath: codingPath)
    }
}

struct BinarySingleValueDecoding: SingleValueDecodingContainer {
    let core: DecoderCore
    let range: Range<Int>
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        range.isEmpty || (range.count == 1 && core.base!.load(fromByteOffset: range.lowerBound, as: UInt8.self) == 0)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        var reader = ByteReader(base: core.base, range: range)
        return try core.readValue(T.self, from: &reader, path: codingPath)
    }
}
