import ModelFormats
import Testing

@testable import Tokenizer

/// What SmolLM2's GGUF says about its tokenizer, and what building one from bad metadata says.
struct RealTokenizerTests {
    @Test(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
    func smolLM2Vocabulary() throws {
        let t = try RealTokenizer.tokenizer()
        #expect(t.vocabularySize == 49152)
        #expect(t.preTokenizer == .smollm)
        #expect(t.bosID == 1 && t.eosID == 2)
        #expect(!t.addBOS && !t.addEOS)
        #expect(t.specialTokenID("<|im_start|>") == 1)
        #expect(t.specialTokenID("<|im_end|>") == 2)
        #expect(t.specialTokenID("<|endoftext|>") == 0)
        #expect(t.specialTokenID("hello") == nil)
        #expect(t.endOfGenerationIDs == [0, 2])
        #expect(t.encode("Hello").first != t.bosID)
        #expect(t.missingByteTokens.count == 21)
    }

    @Test(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
    func encodeBytesChecksUTF8() throws {
        let t = try RealTokenizer.tokenizer()
        #expect(try t.encode(bytes: Array("héllo".utf8)) == t.encode("héllo"))
        for (bytes, offset) in [
            ([0x61, 0xFF], 1), ([0x61, 0xC3], 1), ([0xE0, 0x80, 0x80], 1), ([0xED, 0xA0, 0x80], 1),
            ([0xF4, 0x90, 0x80, 0x80], 1), ([0x62, 0x80], 1), ([0xC0, 0xAF], 0),
        ] as [([UInt8], Int)] {
            let error = #expect(throws: TokenizerError.self) { try t.encode(bytes: bytes) }
            #expect(error?.code == .invalidUTF8)
            #expect(error?.message.contains("offset \(offset)") == true, "\(bytes): \(String(describing: error))")
        }
    }

    @Test func badMetadataIsNamed() throws {
        let tokens: GGUFValue = .array((0..<256).map { .string(ByteLevel.encode([UInt8($0)])) })
        var good: [String: GGUFValue] = [
            "tokenizer.ggml.model": .string("gpt2"), "tokenizer.ggml.tokens": tokens,
            "tokenizer.ggml.merges": .array([]),
        ]
        #expect(try BPETokenizer(gguf: good).vocabularySize == 256)
        func expectError(
            _ metadata: [String: GGUFValue], _ code: TokenizerError.Code, _ text: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let error = #expect(throws: TokenizerError.self, sourceLocation: sourceLocation) {
                try BPETokenizer(gguf: metadata)
            }
            #expect(error?.code == code, sourceLocation: sourceLocation)
            #expect(
                error?.message.contains(text) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
        }
        var m = good
        m["tokenizer.ggml.model"] = .string("llama")
        expectError(m, .unsupported, "'llama'")
        m = good
        m["tokenizer.ggml.tokens"] = nil
        expectError(m, .missingField, "tokenizer.ggml.tokens")
        m = good
        m["tokenizer.ggml.merges"] = .array([.string("a")])
        expectError(m, .invalidValue, "tokenizer.ggml.merges[0] 'a'")
        m = good
        m["tokenizer.ggml.pre"] = .string("qwen2")
        expectError(m, .unsupported, "'qwen2'")
        m = good
        m["tokenizer.ggml.token_type"] = .array([.int32(1)])
        expectError(m, .invalidValue, "token_type")
        m = good
        m["tokenizer.ggml.eos_token_id"] = .uint32(9999)
        expectError(m, .invalidValue, "eos id 9999")
        good["tokenizer.ggml.bos_token_id"] = .string("x")
        expectError(good, .invalidValue, "bos_token_id")
    }
}
