import Foundation
import ModelFormats
import Testing

@testable import Tokenizer

/// The hand-written pre-tokenisers against `tokenizers`' regex engine (Tests/Fixtures/tokenizer/pretokenizer.json,
/// made by scripts/reference/make_pretokenizer_fixtures.py). Set BRIGADE_PRETOKENIZER_FIXTURE to check a larger
/// file made by the same script.
struct PreTokenizerTests {
    struct Case: Sendable, CustomStringConvertible {
        var text: String
        var pieces: [String: [String]]
        var description: String { text.debugDescription }
    }

    static func load(_ path: String) -> [Case] {
        guard let data = FileManager.default.contents(atPath: path),
            let cases = try? JSONValue.parse([UInt8](data), file: path)["cases"]?.array
        else { return [] }
        return cases.map { item in
            var pieces: [String: [String]] = [:]
            for kind in ["gpt2", "smollm", "llama3"] {
                pieces[kind] = item[kind]?.array?.compactMap(\.string)
            }
            return Case(text: item["text"]?.string ?? "", pieces: pieces)
        }
    }

    static let committed: [Case] = load(
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/tokenizer/pretokenizer.json").standardized.path)

    static func check(_ cases: [Case]) throws {
        for item in cases {
            for kind in ["gpt2", "smollm", "llama3"] {
                let splitter = try PreTokenizer(named: kind)
                #expect(splitter.split(item.text) == item.pieces[kind], "\(kind) on \(item)")
            }
        }
    }

    @Test func matchesTheReferenceRegexEngine() throws {
        #expect(Self.committed.count >= 60)
        try Self.check(Self.committed)
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["BRIGADE_PRETOKENIZER_FIXTURE"] != nil))
    func matchesALargerReferenceFile() throws {
        let cases = Self.load(ProcessInfo.processInfo.environment["BRIGADE_PRETOKENIZER_FIXTURE"]!)
        #expect(!cases.isEmpty)
        try Self.check(cases)
    }

    @Test func handPickedSplits() {
        #expect(PreTokenizer.gpt2.split("Hello, world!") == ["Hello", ",", " world", "!"])
        #expect(PreTokenizer.gpt2.split("I'm   here\n\n") == ["I", "'m", "  ", " here", "\n\n"])
        #expect(PreTokenizer.gpt2.split("x 2024") == ["x", " 2024"])
        #expect(PreTokenizer.smollm.split("x 2024") == ["x", " ", "2", "0", "2", "4"])
        #expect(PreTokenizer.llama3.split("x 2024") == ["x", " ", "202", "4"])
        #expect(PreTokenizer.llama3.split("DON'T\r\n\r\nstop") == ["DON", "'T", "\r\n\r\n", "stop"])
        #expect(PreTokenizer.gpt2.split("") == [])
    }

    @Test func unknownNameIsAClearError() {
        let error = #expect(throws: TokenizerError.self) { try PreTokenizer(named: "deepseek-coder") }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("deepseek-coder") == true)
    }
}
