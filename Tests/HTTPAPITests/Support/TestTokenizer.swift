import Tokenizer

/// A tiny hand-built byte-level BPE vocabulary: the 256 byte tokens (ids 0–255, id = byte value), a few merged
/// words, and ChatML's special tokens.
///
/// Because every byte is its own token, a test can spell any text — including a character split across several
/// tokens — by its UTF-8 bytes (`TestVocabulary.bytes("🦀")` is four tokens).
enum TestVocabulary {
    /// GPT-2's byte → printable character map, as byte-level vocabularies store bytes.
    static let byteCharacters: [String] = {
        var next: UInt32 = 256
        return (0..<256).map { byte -> String in
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable { return String(Unicode.Scalar(UInt32(byte))!) }
            defer { next += 1 }
            return String(Unicode.Scalar(next)!)
        }
    }()

    /// Merges, in rank order, building "Hello" and " world" ("Ġ" is the space byte).
    static let merges: [(String, String)] = [
        ("H", "e"), ("l", "l"), ("He", "ll"), ("Hell", "o"),
        ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"),
    ]

    static let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    /// The vocabulary: bytes, merged tokens in merge order, then specials.
    static let tokens: [String] = byteCharacters + merges.map { $0.0 + $0.1 } + specials

    static func id(_ token: String) -> Int32 { Int32(tokens.firstIndex(of: token)!) }

    /// `<|im_end|>`: ends a ChatML turn.
    static var imEnd: Int32 { id("<|im_end|>") }
    /// `<|endoftext|>`: the end-of-sequence token.
    static var endOfText: Int32 { id("<|endoftext|>") }
    /// "Hello" as one token.
    static var hello: Int32 { id("Hello") }
    /// " world" as one token.
    static var world: Int32 { id("Ġworld") }

    /// One token per UTF-8 byte of `text`.
    static func bytes(_ text: String) -> [Int32] { text.utf8.map { Int32($0) } }

    /// The tokenizer over this vocabulary, GPT-2 pre-tokenizer, no BOS.
    static func makeTokenizer() throws -> BPETokenizer {
        let special = Set(specials.map(id))
        return try BPETokenizer(
            tokens: tokens, merges: merges, special: special, preTokenizer: .gpt2, bosID: nil, eosID: endOfText)
    }
}
