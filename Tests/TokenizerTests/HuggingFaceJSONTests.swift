import ModelFormats
import Testing

@testable import Tokenizer

/// Loading `tokenizer.json` (+ `tokenizer_config.json`): pre-tokenizer and post-processor variants, merges in
/// both spellings, and a full-size file rebuilt from SmolLM2's GGUF vocabulary.
struct HuggingFaceJSONTests {
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A tokenizer.json for `tokens`/`merges`, with the given pre-tokenizer and post-processor JSON.
    static func json(
        tokens: [String], merges: [(String, String)], special: [Int], pairs: Bool = false,
        pre: String = #"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"#,
        post: String = "null"
    ) -> [UInt8] {
        let specialSet = Set(special)
        let vocab = tokens.enumerated().filter { !specialSet.contains($0.offset) }
            .map { "\(quote($0.element)):\($0.offset)" }.joined(separator: ",")
        let mergeList = merges.map { pairs ? "[\(quote($0.0)),\(quote($0.1))]" : quote($0.0 + " " + $0.1) }
            .joined(separator: ",")
        let added = special.map { #"{"id":\#($0),"content":\#(quote(tokens[$0])),"special":true}"# }
            .joined(separator: ",")
        return Array(
            #"{"version":"1.0","added_tokens":[\#(added)],"normalizer":null,"pre_tokenizer":\#(pre),"#
                .utf8) + Array(#""post_processor":\#(post),"decoder":{"type":"ByteLevel"},"#.utf8)
            + Array(#""model":{"type":"BPE","vocab":{\#(vocab)},"merges":[\#(mergeList)]}}"#.utf8)
    }

    static let tinyTokens: [String] = {
        var tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        tokens += ["he", "ll", "hell", "hello", "<s>", "</s>"]
        return tokens
    }()
    static let tinyMerges: [(String, String)] = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o")]

    @Test(arguments: [false, true])
    func loadsMergesInBothSpellings(pairs: Bool) throws {
        let t = try BPETokenizer(
            tokenizerJSON: Self.json(
                tokens: Self.tinyTokens, merges: Self.tinyMerges,
                special: [260, 261], pairs: pairs))
        #expect(t.vocabularySize == 262)
        #expect(t.encode("hello") == [259])
        #expect(t.encode("<s>hello</s>") == [260, 259, 261])
        #expect(t.encode("<s>", parseSpecial: false).count == 3)
        #expect(t.addBOS == false && t.bosID == nil)
        #expect(t.preTokenizer == .gpt2)
    }

    @Test func templateProcessingAddsBOS() throws {
        let post =
            #"{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},"#
            + #"{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{"<s>":{"id":"<s>","ids":[260],"#
            + #""tokens":["<s>"]}}}"#
        let t = try BPETokenizer(
            tokenizerJSON: Self.json(
                tokens: Self.tinyTokens, merges: Self.tinyMerges,
                special: [260, 261], post: post),
            config: Array(#"{"bos_token":"<s>","eos_token":{"content":"</s>"}}"#.utf8))
        #expect(t.bosID == 260 && t.eosID == 261 && t.addBOS && !t.addEOS)
        #expect(t.encode("hello") == [260, 259])
        #expect(t.encode("hello", addSpecial: false) == [259])
        #expect(t.endOfGenerationIDs.contains(261))
        let off = try BPETokenizer(
            tokenizerJSON: Self.json(
                tokens: Self.tinyTokens, merges: Self.tinyMerges,
                special: [260, 261], post: post),
            config: Array(#"{"add_bos_token":false,"chat_template":"x"}"#.utf8))
        #expect(off.encode("hello") == [259])
        #expect(off.chatTemplateSource == "x")
    }

    @Test func recognisesThePreTokenizers() throws {
        let smol =
            #"{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},"#
            + #"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}]}"#
        let llama =
            #"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"#
            + #""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},"#
            + #""behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]}"#
        for (pre, expected) in [(smol, PreTokenizer.smollm), (llama, .llama3)] {
            let t = try BPETokenizer(
                tokenizerJSON: Self.json(
                    tokens: Self.tinyTokens, merges: Self.tinyMerges,
                    special: [260, 261], pre: pre))
            #expect(t.preTokenizer == expected)
        }
        let error = #expect(throws: TokenizerError.self) {
            try BPETokenizer(
                tokenizerJSON: Self.json(
                    tokens: Self.tinyTokens, merges: Self.tinyMerges, special: [],
                    pre: #"{"type":"Metaspace"}"#))
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("Metaspace") == true)
    }

    @Test func malformedFilesAreNamed() throws {
        let notBPE = Array(#"{"model":{"type":"Unigram","vocab":[]}}"#.utf8)
        #expect(
            (#expect(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: notBPE) })?.code == .unsupported)
        let broken = Array(#"{"model":"#.utf8)
        let parse = #expect(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: broken) }
        #expect(parse?.cause is ModelFormatError)
        let badMerge = Self.json(tokens: Self.tinyTokens, merges: [("h", "zz")], special: [])
        let merge = #expect(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: badMerge) }
        #expect(merge?.message.contains("merge 0 'h zz'") == true)
        let gap = Array(#"{"model":{"type":"BPE","vocab":{"a":0,"b":5},"merges":[]}}"#.utf8)
        #expect(
            (#expect(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: gap) })?.message
                .contains("not dense") == true)
    }

    /// SmolLM2's vocabulary written out as tokenizer.json must tokenise exactly like the GGUF-built tokenizer.
    @Test(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
    func fullSizeFileMatchesTheGGUFTokenizer() throws {
        let metadata = try #require(RealTokenizer.metadata)
        let tokens = try #require(metadata["tokenizer.ggml.tokens"]?.stringArray)
        let merges = try #require(metadata["tokenizer.ggml.merges"]?.stringArray).enumerated().map {
            try BPETokenizer.splitMerge($0.element, index: $0.offset, field: "merges")
        }
        let smol =
            #"{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},"#
            + #"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}]}"#
        let json = Self.json(tokens: tokens, merges: merges, special: Array(0..<17), pre: smol)
        let fromJSON = try BPETokenizer(tokenizerJSON: json)
        let fromGGUF = try RealTokenizer.tokenizer()
        #expect(fromJSON.vocabularySize == fromGGUF.vocabularySize)
        for golden in GoldenCase.all {
            #expect(fromJSON.encode(golden.text) == golden.ids, "\(golden)")
        }
    }
}
