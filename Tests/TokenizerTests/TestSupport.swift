import Foundation
import ModelFormats

@testable import Tokenizer

/// The real SmolLM2 GGUF and the tokenizer it embeds, when present ($BRIGADE_TEST_MODEL, else
/// $BRIGADE_HOME/models, default ~/.cache/brigade/models).
enum RealTokenizer {
    static let path: String? = {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["BRIGADE_TEST_MODEL"], FileManager.default.fileExists(atPath: explicit) {
            return explicit
        }
        let home = env["BRIGADE_HOME"] ?? (NSHomeDirectory() + "/.cache/brigade")
        let candidate = home + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }()

    /// Whether to run the real-model tests: the model is there, or BRIGADE_REQUIRE_MODEL=1 (CI) demands they run
    /// and fail when it is missing instead of being skipped.
    static var isAvailable: Bool {
        path != nil || ProcessInfo.processInfo.environment["BRIGADE_REQUIRE_MODEL"] == "1"
    }

    /// Loaded once per test process; a load failure is kept so tests report it.
    static let loaded: Result<BPETokenizer, any Error>? = path.map { path in
        Result { try BPETokenizer(gguf: GGUFFile(path: path).metadata) }
    }

    /// The tokenizer, or the error that loading it threw.
    static func tokenizer() throws -> BPETokenizer {
        guard let loaded else {
            throw TokenizerError(
                .missingField,
                "SmolLM2-135M-Instruct.Q4_1.gguf not found in $BRIGADE_TEST_MODEL or "
                    + "$BRIGADE_HOME/models (run `brigade model fetch`)")
        }
        return try loaded.get()
    }

    static let metadata: [String: GGUFValue]? = path.flatMap { try? GGUFFile(path: $0).metadata }
}

/// The committed golden fixture made by scripts/reference/make_tokenizer_fixtures.py.
struct GoldenCase: Sendable, CustomStringConvertible {
    var text: String
    var ids: [Int32]
    var idsPlain: [Int32]
    /// What the reference decodes `ids` to, when it differs from `text` (bytes with no token are dropped).
    var decoded: String?
    var description: String { text.debugDescription }

    static let all: [GoldenCase] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/tokenizer/smollm2.json").standardized
        guard let data = try? Data(contentsOf: url),
            let root = try? JSONValue.parse([UInt8](data), file: url.path),
            let cases = root["cases"]?.array
        else { return [] }
        return cases.map { item in
            GoldenCase(
                text: item["text"]?.string ?? "",
                ids: (item["ids"]?.array ?? []).compactMap { $0.int.map(Int32.init) },
                idsPlain: (item["ids_plain"]?.array ?? []).compactMap { $0.int.map(Int32.init) },
                decoded: item["decoded"]?.string)
        }
    }()
}

/// A small byte-level tokenizer built in code: the 256 byte tokens, a few merges, and two special tokens.
enum TinyTokenizer {
    static func make(pre: PreTokenizer = .gpt2) throws -> BPETokenizer {
        var tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        let merges: [(String, String)] = [
            ("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), ("Ġ", "w"),
            ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"),
        ]
        tokens += merges.map { $0.0 + $0.1 }
        tokens += ["<s>", "</s>"]
        let bos = Int32(tokens.count - 2)
        let eos = Int32(tokens.count - 1)
        return try BPETokenizer(
            tokens: tokens, merges: merges, special: [bos, eos], preTokenizer: pre,
            bosID: bos, eosID: eos, addBOS: true)
    }
}
