/// Splits text into the pieces that BPE merges within (words, numbers, punctuation runs, whitespace runs), by
/// one of the published regular expressions, implemented as a hand-written scanner over Unicode scalars.
///
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `smollm` (SmolLM/StarCoder): every `\p{N}` character is first split off on its own, then `gpt2` runs on the rest.
/// - `llama3`: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|`
///   `\s*[\r\n]+|\s+(?!\S)|\s+`
///
/// `\s` is the Unicode White_Space property, `\p{L}` and `\p{N}` the general categories, as in the reference
/// implementations.
public struct PreTokenizer: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case gpt2, smollm, llama3 }
    let kind: Kind

    /// The GPT-2 rules.
    public static let gpt2 = PreTokenizer(kind: .gpt2)
    /// SmolLM2's rules: digits one by one, then GPT-2's.
    public static let smollm = PreTokenizer(kind: .smollm)
    /// Llama 3's rules.
    public static let llama3 = PreTokenizer(kind: .llama3)

    /// The name used in GGUF `tokenizer.ggml.pre`.
    public var name: String {
        switch kind {
        case .gpt2: "gpt2"
        case .smollm: "smollm"
        case .llama3: "llama3"
        }
    }

    /// The pre-tokeniser a GGUF `tokenizer.ggml.pre` value names. Aliases that share a rule set are accepted
    /// ("default" and "gpt-2" for gpt2; "starcoder" and "smollm" for smollm; "llama-bpe" and "llama3" for llama3).
    /// - Throws: `TokenizerError` with code `.unsupported` naming the value.
    public init(named name: String) throws {
        switch name {
        case "gpt2", "gpt-2", "default": kind = .gpt2
        case "smollm", "starcoder", "refact", "codeshell": kind = .smollm
        case "llama3", "llama-bpe", "llama-v3": kind = .llama3
        default:
            throw TokenizerError(.unsupported, "pre-tokenizer '\(name)' is not supported (gpt2, smollm, llama3)")
        }
    }

    private init(kind: Kind) { self.kind = kind }

    /// Splits `text` into pieces whose concatenation is `text`.
    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return split(scalars).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    /// The pieces of `scalars` as index ranges, in order, covering every scalar.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(scalars.count / 3 + 1)
        let classes = scalars.map(ScalarClass.init)
        scalars.withUnsafeBufferPointer { s in
            classes.withUnsafeBufferPointer { c in
                var scanner = Scanner(scalars: s, classes: c)
                switch kind {
                case .gpt2: scanner.gpt2(0, s.count, into: &pieces)
                case .llama3: scanner.llama3(0, s.count, into: &pieces)
                case .smollm:
                    var start = 0
                    for i in 0..<s.count where c[i] == .number {
                        scanner.gpt2(start, i, into: &pieces)
                        pieces.append(i..<(i + 1))
                        start = i + 1
                    }
                    scanner.gpt2(start, s.count, into: &pieces)
                }
            }
        }
        return pieces
    }
}

/// The character classes the pre-tokeniser regexes distinguish.
enum ScalarClass: UInt8 {
    case letter, number, space, other

    private static let ascii: [ScalarClass] = (0..<128).map { value in
        let s = Unicode.Scalar(UInt8(value))
        if s.properties.isWhitespace { return .space }
        if (0x30...0x39).contains(value) { return .number }
        if (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) { return .letter }
        return .other
    }

    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 128 {
            self = Self.ascii[Int(scalar.value)]
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace {
            self = .space
            return
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: self = .letter
        case .decimalNumber, .letterNumber, .otherNumber: self = .number
        default: self = .other
        }
    }
}
