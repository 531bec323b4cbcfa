/// Why an `InferenceService` refused a generation: a code, a message naming what was wrong, and an optional cause.
///
/// The HTTP layer maps each code to a status in one place (`ServiceError+HTTP.swift`): `.unknownModel` → 404,
/// `.promptTooLong` and `.invalidRequest` → 400, `.queueFull` → 429 with `Retry-After`, `.unavailable` → 503.
/// Codes are an extensible set of static values: compare with `==` rather than switching exhaustively.
///
/// ```swift
/// throw ServiceError.queueFull(retryAfter: .seconds(2), "pipeline p0 has 64 sequences waiting")
/// ```
public struct ServiceError: Error, CustomStringConvertible, Sendable {
    /// What kind of refusal this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }

        /// No served model has the requested name.
        public static let unknownModel = Code("unknownModel")
        /// The prompt (plus the tokens asked for) does not fit the model's context.
        public static let promptTooLong = Code("promptTooLong")
        /// Too many sequences are waiting; the client should retry after `retryAfter`.
        public static let queueFull = Code("queueFull")
        /// The model is known but nothing can serve it now (no pipeline, recovery impossible, shutting down).
        public static let unavailable = Code("unavailable")
        /// The request is not acceptable for a reason the HTTP layer could not check (e.g. a token id out of range).
        public static let invalidRequest = Code("invalidRequest")

        /// The code's name.
        public var description: String { raw }
    }

    /// What kind of refusal this is.
    public var code: Code
    /// What was wrong, naming the model, pipeline or field involved.
    public var message: String
    /// For `.queueFull`: how long the client should wait before retrying.
    public var retryAfter: Duration?
    /// The error that caused this one, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, retryAfter: Duration? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.cause = cause
    }

    /// No served model is called `name`.
    public static func unknownModel(_ name: String) -> ServiceError {
        ServiceError(.unknownModel, "the model '\(name)' does not exist")
    }

    /// The prompt does not fit; `message` should give the token counts.
    public static func promptTooLong(_ message: String) -> ServiceError {
        ServiceError(.promptTooLong, message)
    }

    /// The queue is full; the client should retry after `retryAfter`.
    public static func queueFull(retryAfter: Duration, _ message: String = "too many requests are waiting")
        -> ServiceError
    {
        ServiceError(.queueFull, message, retryAfter: retryAfter)
    }

    /// Nothing can serve the model now; `reason` says why.
    public static func unavailable(_ reason: String) -> ServiceError {
        ServiceError(.unavailable, reason)
    }

    /// The request is not acceptable; `message` names the field.
    public static func invalidRequest(_ message: String) -> ServiceError {
        ServiceError(.invalidRequest, message)
    }

    /// "code: message", then the cause if any.
    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (caused by: \(cause))" }
        return text
    }
}
