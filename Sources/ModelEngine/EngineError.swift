/// An error from the model engine: a code to compare with, a message naming what was wrong (file, tensor, field,
/// sequence…), and the underlying error if there was one.
///
/// Codes are an extensible set of static values: compare with `==` rather than switching exhaustively.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// The checkpoint describes a model family the engine does not run (`general.architecture`, `model_type`).
        public static let unknownArchitecture = Code("unknownArchitecture")
        /// A configuration field is missing or impossible.
        public static let invalidConfig = Code("invalidConfig")
        /// A feature the engine does not implement (RoPE scaling, biases…).
        public static let unsupported = Code("unsupported")
        /// A tensor the stage needs is not in the checkpoint.
        public static let missingTensor = Code("missingTensor")
        /// A tensor has another shape than the configuration implies.
        public static let shapeMismatch = Code("shapeMismatch")
        /// A tensor's element type cannot be converted.
        public static let unsupportedDType = Code("unsupportedDType")
        /// A weight or a KV block holds NaN or infinity.
        public static let nonFinite = Code("nonFinite")
        /// Reading the checkpoint failed (see `cause`).
        public static let readFailed = Code("readFailed")
        /// A forward call's input is malformed: token id out of range, wrong hidden size, duplicate sequence.
        public static let invalidInput = Code("invalidInput")
        /// A sequence would run past the model's context length.
        public static let contextOverflow = Code("contextOverflow")
        /// The KV cache has no free block left for the call; nothing was changed.
        public static let kvCacheFull = Code("kvCacheFull")
        /// A call's start position is not where the sequence's cache ends.
        public static let positionMismatch = Code("positionMismatch")
        /// A KV block to import does not fit the stage (size, token count, order).
        public static let invalidKVBlock = Code("invalidKVBlock")
        /// The sequence is not in this stage's cache.
        public static let unknownSequence = Code("unknownSequence")
        /// Memory or threads could not be had.
        public static let resources = Code("resources")

        public var description: String { raw }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong, naming the file, tensor, field or sequence.
    public var message: String
    /// The error that caused this one, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error; `message` should name what was wrong.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "\(message) [\(code)]"
        if let cause { text += " (caused by: \(cause))" }
        return text
    }
}
