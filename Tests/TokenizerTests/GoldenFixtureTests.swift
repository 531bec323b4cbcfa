import Testing

@testable import Tokenizer

/// SmolLM2's tokenizer, loaded from the GGUF, against ids made by Hugging Face `tokenizers`
/// (Tests/Fixtures/tokenizer/smollm2.json).
@Suite(.enabled(if: RealTokenizer.isAvailable, "SmolLM2 GGUF not found"))
struct GoldenFixtureTests {
    @Test func fixtureIsPresent() {
        #expect(GoldenCase.all.count >= 40)
    }

    @Test(arguments: GoldenCase.all)
    func idsMatchTheReference(_ golden: GoldenCase) throws {
        let tokenizer = try RealTokenizer.tokenizer()
        #expect(tokenizer.encode(golden.text) == golden.ids)
        #expect(tokenizer.encode(golden.text, parseSpecial: false) == golden.idsPlain)
        #expect(tokenizer.decode(golden.ids) == golden.decoded ?? golden.text)
        #expect(tokenizer.decode(golden.idsPlain) == golden.decoded ?? golden.text)
    }
}
