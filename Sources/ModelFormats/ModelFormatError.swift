/// An error reading a model file: what went wrong (`code`), where (`file`, and a field or tensor in `message`),
/// and the underlying error if there was one.
///
/// Codes are an extensible set of static values, so new ones can be added without breaking callers:
/// compare with `==` (`error.code == .truncated`) rather than switching exhaustively.
public struct ModelFormatError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// The file could not be opened or read (the operating system refused; see `cause`).
        public static let io = Code("io")
        /// The file ends before a field or tensor that it declares.
        public static let truncated = Code("truncated")
        /// The file does not start with the expected magic bytes.
        public static let badMagic = Code("badMagic")
        /// The format version is one this reader does not know.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A count, length, offset or size is impossible for this file (past its end, overflowing, overlapping).
        public static let outOfRange = Code("outOfRange")
        /// A field holds a value of the wrong type or an unknown enumeration value.
        public static let invalidValue = Code("invalidValue")
        /// A name or string is not valid UTF-8.
        public static let invalidUTF8 = Code("invalidUTF8")
        /// A tensor's element type is known but cannot be converted by this reader.
        public static let unsupportedDType = Code("unsupportedDType")
        /// The requested tensor is not in the checkpoint.
        public static let missingTensor = Code("missingTensor")
        /// A name (tensor or metadata key) appears twice.
        public static let duplicate = Code("duplicate")
        /// A JSON document (safetensors header, config.json, tokenizer.json) is not valid JSON.
        public static let invalidJSON = Code("invalidJSON")
        /// The path names no model this reader recognises.
        public static let unknownFormat = Code("unknownFormat")
        /// A caller-provided buffer has the wrong size.
        public static let bufferSize = Code("bufferSize")

        /// The code's name.
        public var description: String { raw }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The file (or source name) the failure is in.
    public var file: String
    /// What was wrong, naming the field or tensor.
    public var message: String
    /// The error that caused this one, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error; `message` should name the field or tensor involved.
    public init(_ code: Code, file: String, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.file = file
        self.message = message
        self.cause = cause
    }

    /// "file: message [code]", then the cause if any.
    public var description: String {
        var text = "\(file): \(message) [\(code)]"
        if let cause { text += " (caused by: \(cause))" }
        return text
    }
}
