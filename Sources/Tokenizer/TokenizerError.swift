/// An error building or using a tokenizer: what went wrong (`code`), a message naming the field, token or byte
/// involved, and the underlying error if any.
///
/// Codes are an extensible set of static values: compare with `==` rather than switching exhaustively.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// A required field (vocabulary, merges, model type) is absent.
        public static let missingField = Code("missingField")
        /// A field has the wrong type or an impossible value.
        public static let invalidValue = Code("invalidValue")
        /// The tokenizer type or pre-tokeniser is not one this library implements.
        public static let unsupported = Code("unsupported")
        /// Input bytes are not valid UTF-8.
        public static let invalidUTF8 = Code("invalidUTF8")
        /// The chat template is not one this library recognises.
        public static let unknownTemplate = Code("unknownTemplate")

        /// The code's name.
        public var description: String { raw }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What was wrong, naming the field, token or byte.
    public var message: String
    /// The error that caused this one, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// "tokenizer: message [code]", then the cause if any.
    public var description: String {
        var text = "tokenizer: \(message) [\(code)]"
        if let cause { text += " (caused by: \(cause))" }
        return text
    }
}
