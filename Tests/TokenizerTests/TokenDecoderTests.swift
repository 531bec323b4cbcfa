import Testing

@testable import Tokenizer

/// Streaming decode: pieces never split a UTF-8 sequence, and add up to `decode`.
struct TokenDecoderTests {
    @Test func holdsBackIncompleteCharacters() throws {
        let tiny = try TinyTokenizer.make()
        // "é" is C3 A9, "😀" is F0 9F 98 80: feed them one byte token at a time.
        let ids = Array("é😀x".utf8).map { tiny.byteTokens[Int($0)] }
        var decoder = TokenDecoder(tiny)
        let pieces = ids.map { decoder.append($0) }
        #expect(pieces == ["", "é", "", "", "", "😀", "x"])
        #expect(decoder.finish() == "")
    }

    @Test func invalidBytesComeOutAsReplacementAtOnce() throws {
        let tiny = try TinyTokenizer.make()
        var decoder = TokenDecoder(tiny)
        #expect(decoder.append(tiny.byteTokens[0xFF]) == "\u{FFFD}")
        #expect(decoder.append(tiny.byteTokens[0xE0]) == "")
        #expect(decoder.append(tiny.byteTokens[0x41]) == "\u{FFFD}A")  // E0 cannot be followed by 41
        #expect(decoder.append(tiny.byteTokens[0xED]) == "")
        #expect(decoder.append(tiny.byteTokens[0xA0]) == "\u{FFFD}\u{FFFD}")  // ED A0 would be a surrogate
        #expect(decoder.append(tiny.byteTokens[0xF0]) == "")
        #expect(decoder.finish() == "\u{FFFD}")
    }

    @Test func specialTokensStreamAsTextUnlessSkipped() throws {
        let tiny = try TinyTokenizer.make()
        let ids = tiny.encode("hello</s>")
        var plain = TokenDecoder(tiny)
        #expect(ids.map { plain.append($0) }.joined() == "<s>hello</s>")
        var skipping = TokenDecoder(tiny, skipSpecial: true)
        #expect(ids.map { skipping.append($0) }.joined() == "hello")
    }

    @Test(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
    func streamsRealTokensLikeDecode() throws {
        let tokenizer = try RealTokenizer.tokenizer()
        for golden in GoldenCase.all {
            var decoder = TokenDecoder(tokenizer)
            var pieces: [String] = []
            for id in golden.ids {
                let piece = decoder.append(id)
                if let last = piece.unicodeScalars.last { #expect(last != "\u{FFFD}" || golden.decoded != nil) }
                pieces.append(piece)
            }
            #expect(pieces.joined() + decoder.finish() == tokenizer.decode(golden.ids), "\(golden)")
        }
    }
}
