/// The `Encoder` a value's `encode(to:)` sees: it writes into one region of the shared `EncoderCore`.
struct BinaryEncoderImpl: Encoder {
    let core: EncoderCore
    let region: EncoderCore.Region
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { core.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(BinaryKeyedEncoding<Key>(core: core, region: region, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncoding(core: core, region: region, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        BinarySingleValueEncoding(core: core, region: region, codingPath: codingPath)
    }
}

extension EncoderCore {
    /// A keyed entry: key, then the body in a region of its own (the region's length is the entry's length).
    func writeEntry<T: Encodable>(_ value: T, key: some CodingKey, in region: Region, path: [any CodingKey]) throws {
        try prepare(region, path: path)
        writeKey(key)
        let entry = beginRegion()
        if !writePrimitive(value) {
            if let optional = value as? any BinaryOptional {
                try optional.binaryEncode(into: self, path: path + [key])
            } else {
                try value.encode(to: BinaryEncoderImpl(core: self, region: entry, codingPath: path + [key]))
            }
        }
        closeRegions(downTo: entry.depth - 1)
    }
}

struct BinaryKeyedEncoding<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let core: EncoderCore
    let region: EncoderCore.Region
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws {
        try core.prepare(region, path: codingPath)
        core.writeKey(key)
        core.writer.writeFixed(BinaryCodingKey.nilEntryLength)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try core.writeEntry(value, key: key, in: region, path: codingPath)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: String, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try core.writeEntry(value, key: key, in: region, path: codingPath) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        KeyedEncodingContainer(BinaryKeyedEncoding<NestedKey>(core: core, region: openNested(key), codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncoding(core: core, region: openNested(key), codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        BinaryEncoderImpl(core: core, region: openNested(BinaryCodingKey.super), codingPath: codingPath + [BinaryCodingKey.super])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        BinaryEncoderImpl(core: core, region: openNested(key), codingPath: codingPath + [key])
    }

    /// Writes the key and opens a region for a nested container; a stale container gets a dead region, so its
    /// writes throw.
    private func openNested(_ key: some CodingKey) -> EncoderCore.Region {
        guard (try? core.prepare(region, path: codingPath)) != nil else { return EncoderCore.Region(depth: Int.max, id: 0) }
        core.writeKey(key)
        return core.beginRegion()
    }
}

struct BinaryUnkeyedEncoding: UnkeyedEncodingContainer {
    let core: EncoderCore
    let region: EncoderCore.Region
    var codingPath: [any CodingKey]
    private(set) var count = 0

    init(core: EncoderCore, region: EncoderCore.Region, codingPath: [any CodingKey]) {
        self.core = core
        self.region = region
        self.codingPath = codingPath
    }

    mutating func encodeNil() throws {
        try core.prepare(region, path: codingPath)
        core.writer.writeByte(0)
        count += 1
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try core.prepare(region, path: codingPath)
        try core.writeValue(value, path: codingPath)
        count += 1
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(BinaryKeyedEncoding<NestedKey>(core: core, region: openNested(), codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        BinaryUnkeyedEncoding(core: core, region: openNested(), codingPath: codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        BinaryEncoderImpl(core: core, region: openNested(), codingPath: codingPath)
    }

    private mutating func openNested() -> EncoderCore.Region {
        guard (try? core.prepare(region, path: codingPath)) != nil else { return EncoderCore.Region(depth: Int.max, id: 0) }
        count += 1
        return core.beginRegion()
    }
}

struct BinarySingleValueEncoding: SingleValueEncodingContainer {
    let core: EncoderCore
    let region: EncoderCore.Region
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws {
        try core.prepare(region, path: codingPath)
        core.writer.writeByte(0)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try core.prepare(region, path: codingPath)
        try core.writeValue(value, path: codingPath)
    }
}

/// Coding keys the codec makes up: array indexes and `super`.
struct BinaryCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }

    init(index: Int) { self.init(intValue: index) }

    static let `super` = BinaryCodingKey(stringValue: "super")

    /// The length a keyed entry written by `encodeNil(forKey:)` has instead of a body (an empty body is a valid
    /// value, e.g. an empty dictionary).
    static let nilEntryLength = UInt32.max
}
