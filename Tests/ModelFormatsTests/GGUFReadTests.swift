import Testing

@testable import ModelFormats

/// GGUF files written in code, read back: metadata of every type, tensor table, and exact dequantisation.
struct GGUFReadTests {
    static let q8Values: [Int8] = (0..<32).map { Int8($0 * 8 - 128 + ($0 % 3)) }
    static let nibbles: [UInt8] = (0..<32).map { UInt8(($0 * 7) % 16) }

    /// A file with one tensor of each convertible type and known values.
    static func sampleFile(version: UInt32 = 3, alignment: Int? = nil) -> GGUFWriter {
        var w = GGUFWriter()
        w.version = version
        if let alignment {
            w.alignment = alignment
            w.add("general.alignment", .uint32(UInt32(alignment)))
        }
        w.add("general.architecture", .string("llama"))
        w.add("test.u8", .uint8(200))
        w.add("test.i8", .int8(-7))
        w.add("test.u16", .uint16(65000))
        w.add("test.i16", .int16(-300))
        w.add("test.u32", .uint32(4_000_000_000))
        w.add("test.i32", .int32(-70_000))
        w.add("test.u64", .uint64(1 << 40))
        w.add("test.i64", .int64(-(1 << 40)))
        w.add("test.f32", .float32(0.25))
        w.add("test.f64", .float64(-1.5))
        w.add("test.bool", .bool(true))
        w.add("test.string", .string("héllo ✓"))
        w.add("test.strings", .array([.string("a"), .string(""), .string("ç")]))
        w.add("test.ints", .array([.int32(1), .int32(-2), .int32(3)]))
        w.add("test.nested", .array([.array([.uint8(1), .uint8(2)]), .array([.uint8(3)])]))
        w.addTensor("f32", shape: [2, 3], dtype: .f32, data: Blocks.f32([1, -2, 3.5, 0, 1e-3, -7]))
        w.addTensor("f16", shape: [4], dtype: .f16, data: Blocks.f16([0.5, -1, 65504, 0.000061035156]))
        w.addTensor("bf16", shape: [3], dtype: .bf16, data: Blocks.bf16([1.5, -256, 3.140625]))
        w.addTensor(
            "q8_0", shape: [2, 32], dtype: .q8_0,
            data: Blocks.q8_0(d: 0.5, q: q8Values) + Blocks.q8_0(d: -0.125, q: q8Values.reversed()))
        w.addTensor("q4_0", shape: [1, 32], dtype: .q4_0, data: Blocks.q4_0(d: 0.25, q: nibbles))
        w.addTensor(
            "q4_1", shape: [64], dtype: .q4_1,
            data: Blocks.q4_1(d: 0.5, m: -2, q: nibbles) + Blocks.q4_1(d: 2, m: 0.75, q: nibbles.reversed()))
        return w
    }

    static func open(_ writer: GGUFWriter) throws -> GGUFFile {
        try GGUFFile(source: MemorySource(name: "sample.gguf", bytes: writer.bytes()))
    }

    @Test func metadataOfEveryType() throws {
        let file = try Self.open(Self.sampleFile())
        let m = file.metadata
        #expect(file.version == 3)
        #expect(m["general.architecture"]?.string == "llama")
        #expect(m["test.u8"]?.int == 200)
        #expect(m["test.i8"]?.int == -7)
        #expect(m["test.u16"]?.int == 65000)
        #expect(m["test.i16"]?.int == -300)
        #expect(m["test.u32"]?.int == 4_000_000_000)
        #expect(m["test.i32"]?.int == -70_000)
        #expect(m["test.u64"]?.int == 1 << 40)
        #expect(m["test.i64"]?.int == -(1 << 40))
        #expect(m["test.f32"]?.double == 0.25)
        #expect(m["test.f64"]?.double == -1.5)
        #expect(m["test.bool"]?.bool == true)
        #expect(m["test.string"]?.string == "héllo ✓")
        #expect(m["test.strings"]?.stringArray == ["a", "", "ç"])
        #expect(m["test.ints"]?.intArray == [1, -2, 3])
        #expect(m["test.nested"] == .array([.array([.uint8(1), .uint8(2)]), .array([.uint8(3)])]))
        #expect(m["test.string"]?.int == nil)
        #expect(file.metadataKeys.first == "general.architecture")
        #expect(file.modelMetadata.gguf?["test.u8"] == .uint8(200))
    }

    @Test func tensorTableReversesDims() throws {
        let file = try Self.open(Self.sampleFile())
        #expect(file.tensorNames == ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_1"])
        #expect(try file.info("f32").shape == [2, 3])
        #expect(try file.info("q8_0").shape == [2, 32])
        #expect(try file.info("q8_0").byteCount == 68)
        #expect(try file.info("q4_1").dtype == .q4_1)
        for info in file.tensors.values {
            #expect(info.byteOffset % 32 == 0)
            #expect(info.byteOffset >= file.dataOffset)
            #expect(info.source == "sample.gguf")
        }
    }

    @Test func dequantisesEveryTypeExactly() throws {
        let file = try Self.open(Self.sampleFile())
        #expect(try file.readFloat32("f32") == [1, -2, 3.5, 0, 1e-3, -7])
        #expect(try file.readFloat32("f16") == [0.5, -1, 65504, 0.000061035156])
        #expect(try file.readFloat32("bf16") == [1.5, -256, 3.140625])
        let q8 = Self.q8Values.map { Float($0) * 0.5 } + Self.q8Values.reversed().map { Float($0) * -0.125 }
        #expect(try file.readFloat32("q8_0") == q8)
        #expect(try file.readFloat32("q4_0") == Self.nibbles.map { Float(Int($0) - 8) * 0.25 })
        let q41 = Self.nibbles.map { Float($0) * 0.5 - 2 } + Self.nibbles.reversed().map { Float($0) * 2 + 0.75 }
        #expect(try file.readFloat32("q4_1") == q41)
    }

    @Test func readIntoBufferAndRaw() throws {
        let file = try Self.open(Self.sampleFile())
        var buffer = [Float](repeating: .nan, count: 64)
        try buffer.withUnsafeMutableBufferPointer { try file.readFloat32("q4_1", into: $0) }
        #expect(buffer == (try file.readFloat32("q4_1")))
        #expect(try file.readRaw("q4_0") == Blocks.q4_0(d: 0.25, q: Self.nibbles))
        var short = [Float](repeating: 0, count: 63)
        let error = #expect(throws: ModelFormatError.self) {
            try short.withUnsafeMutableBufferPointer { try file.readFloat32("q4_1", into: $0) }
        }
        #expect(error?.code == .bufferSize)
    }

    @Test func versionTwoAndCustomAlignment() throws {
        let v2 = try Self.open(Self.sampleFile(version: 2))
        #expect(v2.version == 2)
        #expect(try v2.readFloat32("f32") == [1, -2, 3.5, 0, 1e-3, -7])
        let aligned = try Self.open(Self.sampleFile(alignment: 64))
        #expect(aligned.alignment == 64)
        #expect(aligned.tensors.values.allSatisfy { $0.byteOffset % 64 == 0 })
        #expect(try aligned.readFloat32("q4_0") == Self.nibbles.map { Float(Int($0) - 8) * 0.25 })
    }

    @Test func readingATensorReadsOnlyItsBytes() throws {
        let source = RecordingSource(MemorySource(name: "rec.gguf", bytes: Self.sampleFile().bytes()))
        let file = try GGUFFile(source: source)
        for name in file.tensorNames {
            source.reset()
            _ = try file.readFloat32(name)
            let info = try file.info(name)
            let range = info.byteOffset..<(info.byteOffset + info.byteCount)
            #expect(!source.reads.isEmpty)
            #expect(
                source.reads.allSatisfy { range.contains($0.lowerBound) && $0.upperBound <= range.upperBound },
                "\(name) read \(source.reads), outside \(range)")
        }
    }

    @Test func layerRangeByteRangesRoundTrip() throws {
        let bytes = Self.sampleFile().bytes()
        let file = try GGUFFile(source: MemorySource(name: "full.gguf", bytes: bytes))
        let wanted = ["q8_0", "q4_1"]
        // Fetch only the header and the wanted ranges into an otherwise empty buffer, as a cold start would.
        var partial = [UInt8](repeating: 0xEE, count: bytes.count)
        partial.replaceSubrange(0..<file.dataOffset, with: bytes[0..<file.dataOffset])
        for range in file.byteRanges(for: wanted) {
            #expect(range.source == "full.gguf")
            partial.replaceSubrange(
                range.offset..<(range.offset + range.count),
                with: bytes[range.offset..<(range.offset + range.count)])
        }
        let stage = try GGUFFile(source: MemorySource(name: "full.gguf", bytes: partial))
        for name in wanted { #expect(try stage.readFloat32(name) == (try file.readFloat32(name))) }
        #expect(try stage.readRaw("f32") != (try file.readRaw("f32")))
    }

    @Test func unsupportedTypeIsParsedButNotConverted() throws {
        var w = GGUFWriter()
        w.addTensor("k", shape: [1, 256], dtype: TensorDType(ggmlType: 14)!, data: [UInt8](repeating: 0, count: 210))
        let file = try Self.open(w)
        #expect(try file.info("k").dtype.name == "q6_k")
        #expect(try file.readRaw("k").count == 210)
        let error = #expect(throws: ModelFormatError.self) { try file.readFloat32("k") }
        #expect(error?.code == .unsupportedDType)
        #expect(error?.message.contains("'k'") == true)
    }

    @Test func missingTensorNamesTensorAndFile() throws {
        let file = try Self.open(Self.sampleFile())
        let error = #expect(throws: ModelFormatError.self) { try file.readFloat32("blk.99.attn_q.weight") }
        #expect(error?.code == .missingTensor)
        #expect(error?.file == "sample.gguf")
        #expect(error?.message.contains("blk.99.attn_q.weight") == true)
    }

    @Test func dtypeTableMatchesGGML() {
        // Type numbers and block sizes from ggml's type traits.
        let expected: [(UInt32, Int, Int)] = [
            (0, 1, 4), (1, 1, 2), (2, 32, 18), (3, 32, 20), (8, 32, 34),
            (10, 256, 84), (12, 256, 144), (14, 256, 210), (30, 1, 2),
        ]
        for (raw, block, bytes) in expected {
            let type = TensorDType(ggmlType: raw)
            #expect(type?.blockSize == block && type?.blockBytes == bytes, "GGML type \(raw)")
        }
        #expect(TensorDType(ggmlType: 4) == nil)
        #expect(TensorDType(safetensorsName: "BF16") == .bf16)
    }
}
