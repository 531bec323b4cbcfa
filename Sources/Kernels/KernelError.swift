/// An error from the kernels: a code to switch on and a message naming what was wrong.
public struct KernelError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. New codes may be added; switch with a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: Hashable, Sendable { case threadStartFailed, outOfMemory, invalidArgument }
        let value: Value
        /// The system refused to start a compute thread.
        public static let threadStartFailed = Code(value: .threadStartFailed)
        /// An aligned buffer could not be allocated.
        public static let outOfMemory = Code(value: .outOfMemory)
        /// A shape, size or encoding did not fit the operation.
        public static let invalidArgument = Code(value: .invalidArgument)
        public var description: String { "\(value)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, naming the buffer or shape involved.
    public let message: String
    /// The underlying error, if any.
    public let cause: (any Error)?

    /// Creates an error with a code, a message and an optional cause.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message) (\($0))" } ?? message }
}
