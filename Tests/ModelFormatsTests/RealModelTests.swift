import Foundation
import ModelFormats
import Testing

/// The real SmolLM2-135M-Instruct Q4_1 GGUF: header, tensor table and metadata as llama.cpp wrote them.
@Suite(.enabled(if: TestModel.isAvailable, "SmolLM2 GGUF not found in $BRIGADE_HOME/models or $BRIGADE_TEST_MODEL"))
struct RealModelTests {
    let file: GGUFFile

    #if DEBUG
        static let isDebugBuild = true
    #else
        static let isDebugBuild = false
    #endif

    init() throws {
        file = try GGUFFile(path: TestModel.requirePath())
    }

    @Test func headerAndTensorTable() throws {
        #expect(file.version == 3)
        #expect(file.tensors.count == 272)
        #expect(file.alignment == 32)
        let embed = try file.info("token_embd.weight")
        #expect(embed.dtype == .q8_0)
        #expect(embed.shape == [49152, 576])
        #expect(embed.byteCount == 49152 * 576 / 32 * 34)
        let blocks = Set(
            file.tensors.keys.compactMap { name -> Int? in
                guard name.hasPrefix("blk.") else { return nil }
                return Int(name.split(separator: ".")[1])
            })
        #expect(blocks == Set(0..<30))
        #expect(try file.info("blk.0.attn_q.weight").dtype == .q4_1)
        #expect(try file.info("blk.0.attn_q.weight").shape == [576, 576])
        #expect(try file.info("blk.0.attn_k.weight").shape == [192, 576])
        #expect(try file.info("blk.0.ffn_down.weight").shape == [576, 1536])
        #expect(try file.info("output_norm.weight").dtype == .f32)
        let counts = Dictionary(grouping: file.tensors.values, by: \.dtype).mapValues(\.count)
        #expect(counts == [.q4_1: 210, .f32: 61, .q8_0: 1])
    }

    @Test func metadata() {
        let m = file.metadata
        #expect(m["general.architecture"]?.string == "llama")
        #expect(m["llama.block_count"]?.int == 30)
        #expect(m["llama.embedding_length"]?.int == 576)
        #expect(m["llama.attention.head_count"]?.int == 9)
        #expect(m["llama.attention.head_count_kv"]?.int == 3)
        #expect(m["tokenizer.ggml.model"]?.string == "gpt2")
        #expect(m["tokenizer.ggml.tokens"]?.stringArray?.count == 49152)
        #expect(m["tokenizer.ggml.merges"]?.stringArray?.count == 48900)
        #expect(m["tokenizer.ggml.bos_token_id"]?.int == 1)
        #expect(m["tokenizer.ggml.eos_token_id"]?.int == 2)
    }

    @Test func tensorsLieInsideTheFileWithoutOverlap() throws {
        let size = try LocalFileSource(path: TestModel.requirePath()).size()
        let sorted = file.tensors.values.sorted { $0.byteOffset < $1.byteOffset }
        var end = file.dataOffset
        for info in sorted {
            #expect(info.byteOffset >= end, "\(info.name) overlaps the tensor before it")
            end = info.byteOffset + info.byteCount
        }
        #expect(end <= size)
    }

    @Test func readsOnlyTheRequestedRange() throws {
        let ranges = file.byteRanges(for: ["blk.3.attn_q.weight", "no.such.tensor", "blk.3.ffn_up.weight"])
        #expect(ranges.count == 2)
        let q = try file.info("blk.3.attn_q.weight")
        #expect(ranges[0].offset == q.byteOffset && ranges[0].count == q.byteCount && ranges[0].source == q.source)
        let raw = try file.readRaw("blk.3.attn_q.weight")
        #expect(raw.count == 576 * 576 / 32 * 20)
        let values = try file.readFloat32("blk.3.attn_q.weight")
        #expect(values.count == 576 * 576)
        #expect(values.allSatisfy { $0.isFinite })
    }

    /// Dequantised values of the real file against the PyPI `gguf` package (Tests/Fixtures/formats/
    /// smollm2-dequant.json, made by scripts/reference/make_dequant_fixtures.py): exact per value, sum to 1e-9.
    /// Heavy in debug builds: the largest tensor is checked only in release (`swift test -c release`, as CI runs).
    @Test func dequantisationMatchesTheGGUFPackage() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/formats/smollm2-dequant.json").standardized
        let fixture = try JSONValue.parse([UInt8](Data(contentsOf: url)), file: url.path)
        let cases = try #require(fixture["tensors"]?.array)
        #expect(cases.count == 6)
        for item in cases {
            let name = try #require(item["name"]?.string)
            let info = try file.info(name)
            // Debug builds dequantise ~50x slower: there the 28M-value embedding is left to release runs (CI).
            if Self.isDebugBuild && info.elementCount > 4_000_000 { continue }
            #expect(info.dtype.name == item["type"]?.string, "\(name)")
            #expect(info.shape == item["shape"]?.array?.compactMap(\.int), "\(name)")
            let values = try file.readFloat32(name)
            let first = try #require(item["first"]?.array).compactMap(\.double).map(Float.init)
            let last = try #require(item["last"]?.array).compactMap(\.double).map(Float.init)
            #expect(Array(values.prefix(8)) == first, "\(name) first values")
            #expect(Array(values.suffix(8)) == last, "\(name) last values")
            for (index, expected) in try #require(item["at"]?.object) {
                #expect(values[Int(index)!] == Float(expected.double!), "\(name)[\(index)]")
            }
            let sum = values.reduce(0.0) { $0 + Double($1) }
            let expectedSum = try #require(item["sum"]?.double)
            #expect(abs(sum - expectedSum) <= 1e-9 * max(1, abs(expectedSum)) + 1e-6, "\(name) sum \(sum)")
        }
    }
}
