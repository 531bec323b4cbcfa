import Testing

@testable import ModelFormats

/// Malformed GGUF files: each is rejected with a `ModelFormatError` naming the file and what was wrong.
struct GGUFBadInputTests {
    static func parse(_ bytes: [UInt8]) throws -> GGUFFile {
        try GGUFFile(source: MemorySource(name: "bad.gguf", bytes: bytes))
    }

    static func expectError(
        _ code: ModelFormatError.Code, mentioning text: String? = nil, _ bytes: [UInt8],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = #expect(throws: ModelFormatError.self, sourceLocation: sourceLocation) { try parse(bytes) }
        #expect(error?.code == code, "got \(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.file == "bad.gguf", sourceLocation: sourceLocation)
        if let text {
            #expect(
                error?.message.contains(text) == true, "\(String(describing: error)) lacks '\(text)'",
                sourceLocation: sourceLocation)
        }
    }

    /// A header up to the counts, for hand-built corrupt files.
    static func header(tensors: UInt64, kvs: UInt64, version: UInt32 = 3) -> [UInt8] {
        var out = Array("GGUF".utf8)
        out.append(le: version)
        out.append(le: tensors)
        out.append(le: kvs)
        return out
    }

    @Test func everyTruncationIsRejected() throws {
        let bytes = GGUFReadTests.sampleFile().bytes()
        let file = try Self.parse(bytes)
        // Any cut inside the header or the tensor data must fail; only the trailing padding may go.
        let lastByte = file.tensors.values.map { $0.byteOffset + $0.byteCount }.max()!
        for length in 0..<lastByte {
            let error = #expect(throws: ModelFormatError.self) { try Self.parse(Array(bytes[0..<length])) }
            #expect(
                error?.code == .truncated || error?.code == .outOfRange,
                "cut at \(length): \(String(describing: error))")
        }
        #expect(try Self.parse(Array(bytes[0..<lastByte])).tensors.count == 6)
    }

    @Test func badMagicAndVersion() {
        Self.expectError(
            .badMagic, mentioning: "magic", Array("GGML".utf8) + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 16))
        Self.expectError(.unsupportedVersion, mentioning: "version 1", Self.header(tensors: 0, kvs: 0, version: 1))
        Self.expectError(.unsupportedVersion, mentioning: "version 4", Self.header(tensors: 0, kvs: 0, version: 4))
        Self.expectError(.truncated, mentioning: "magic", [0x47, 0x47])
    }

    @Test func absurdCountsAreRejectedBeforeAllocating() {
        Self.expectError(.outOfRange, mentioning: "tensor count", Self.header(tensors: 1 << 60, kvs: 0))
        Self.expectError(.outOfRange, mentioning: "metadata count", Self.header(tensors: 0, kvs: UInt64.max))
        // A key whose length claims 1 TB.
        var key = Self.header(tensors: 0, kvs: 1)
        key.append(le: UInt64(1) << 40)
        Self.expectError(.outOfRange, mentioning: "length of key", key)
        // A string array claiming 2^50 elements.
        var array = Self.header(tensors: 0, kvs: 1)
        array.append(string: "tokenizer.ggml.tokens")
        array.append(le: UInt32(9))
        array.append(le: UInt32(8))
        array.append(le: UInt64(1) << 50)
        Self.expectError(.outOfRange, mentioning: "element count of metadata 'tokenizer.ggml.tokens'", array)
        // A string value whose length runs past the end.
        var value = Self.header(tensors: 0, kvs: 1)
        value.append(string: "general.name")
        value.append(le: UInt32(8))
        value.append(le: UInt64(100))
        value += Array("short".utf8)
        Self.expectError(.outOfRange, mentioning: "metadata 'general.name'", value)
    }

    @Test func badValuesAreNamed() {
        var type = Self.header(tensors: 0, kvs: 1)
        type.append(string: "general.x")
        type.append(le: UInt32(13))
        Self.expectError(.invalidValue, mentioning: "metadata 'general.x' has unknown value type 13", type)

        var boolean = Self.header(tensors: 0, kvs: 1)
        boolean.append(string: "general.flag")
        boolean.append(le: UInt32(7))
        boolean.append(2)
        Self.expectError(.invalidValue, mentioning: "general.flag", boolean)

        var w = GGUFWriter()
        w.add("general.alignment", .uint32(48))
        Self.expectError(.invalidValue, mentioning: "general.alignment", w.bytes())

        var duplicate = GGUFWriter()
        duplicate.add("a", .uint8(1))
        duplicate.add("a", .uint8(2))
        Self.expectError(.duplicate, mentioning: "'a'", duplicate.bytes())
    }

    @Test func invalidUTF8InNames() {
        var key = Self.header(tensors: 0, kvs: 1)
        key.append(le: UInt64(3))
        key += [0x61, 0xFF, 0x62]
        key.append(le: UInt32(0))
        key.append(1)
        Self.expectError(.invalidUTF8, mentioning: "key of metadata entry 0", key)

        var w = GGUFWriter()
        w.addTensor("\u{1}", shape: [4], dtype: .f32, data: Blocks.f32([1, 2, 3, 4]))
        var bytes = w.bytes()
        let at = 24 + 8  // header, then the name's length; the name's single byte follows
        #expect(bytes[at] == 0x01)
        bytes[at] = 0xC3  // a lead byte with no continuation
        Self.expectError(.invalidUTF8, mentioning: "name of tensor 0", bytes)
    }

    @Test func badTensorEntries() {
        var type = GGUFWriter()
        type.addRawTensor("w", dims: [32], type: 99, data: [UInt8](repeating: 0, count: 32))
        Self.expectError(.invalidValue, mentioning: "tensor 'w' has unknown GGML type 99", type.bytes())

        var rank = GGUFWriter()
        rank.addRawTensor("w", dims: [1, 1, 1, 1, 1], type: 0, data: Blocks.f32([1]))
        Self.expectError(.outOfRange, mentioning: "'w' has 5 dims", rank.bytes())

        var block = GGUFWriter()
        block.addRawTensor("w", dims: [16, 2], type: 8, data: [UInt8](repeating: 0, count: 34))
        Self.expectError(.invalidValue, mentioning: "not a multiple of the q8_0 block", block.bytes())

        var huge = GGUFWriter()
        huge.addRawTensor("w", dims: [1 << 30, 1 << 30], type: 0, data: Blocks.f32([1]))
        Self.expectError(.outOfRange, mentioning: "'w'", huge.bytes())

        var duplicate = GGUFWriter()
        duplicate.addTensor("w", shape: [1], dtype: .f32, data: Blocks.f32([1]))
        duplicate.addTensor("w", shape: [1], dtype: .f32, data: Blocks.f32([2]))
        Self.expectError(.duplicate, mentioning: "'w'", duplicate.bytes())
    }

    @Test func offsetsPastTheEndOrMisaligned() throws {
        var w = GGUFWriter()
        w.addTensor("w", shape: [8], dtype: .f32, data: Blocks.f32([1, 2, 3, 4, 5, 6, 7, 8]))
        let bytes = w.bytes()
        let file = try Self.parse(bytes)
        let offsetField = file.dataOffset - 32 > 0 ? Self.offsetFieldPosition(bytes, file: file) : 0
        var past = bytes
        past.replaceSubrange(offsetField..<(offsetField + 8), with: le(UInt64(4096)))
        Self.expectError(.outOfRange, mentioning: "tensor 'w'", past)
        var odd = bytes
        odd.replaceSubrange(offsetField..<(offsetField + 8), with: le(UInt64(4)))
        Self.expectError(.invalidValue, mentioning: "not a multiple of 32", odd)
    }

    /// Where the single tensor's u64 offset sits: the last 8 bytes of its table entry.
    static func offsetFieldPosition(_ bytes: [UInt8], file: GGUFFile) -> Int {
        // Header (24) + entry: name (8 + 1) + rank (4) + 1 dim (8) + type (4), then the offset.
        24 + 8 + 1 + 4 + 8 + 4
    }

    private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        var out: [UInt8] = []
        out.append(le: v)
        return out
    }
}
