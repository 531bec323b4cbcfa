import CZeroMQ

#if canImport(Glibc)
import Glibc
#endif

/// An error from libzmq or from this binding: the `errno` libzmq reported, its `zmq_strerror` text and the call
/// that failed.
public struct ZMQError: Error, Sendable, CustomStringConvertible {
    /// What failed, as an errno value. An open set: compare with the constants, switch with a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The errno value (libzmq's own codes such as `ETERM` included).
        public let errno: Int32

        /// - Parameter errno: an errno value.
        public init(errno: Int32) { self.errno = errno }

        /// The operation would block (`EAGAIN`): a non-blocking send or receive found no room or no message.
        public static let wouldBlock = Code(errno: EAGAIN)
        /// The context was terminated (`ETERM`).
        public static let terminated = Code(errno: ETERM)
        /// An argument was wrong (`EINVAL`): a bad option value, a malformed key or endpoint.
        public static let invalidArgument = Code(errno: EINVAL)
        /// A ROUTER with `ROUTER_MANDATORY` could not route a message (`EHOSTUNREACH`).
        public static let hostUnreachable = Code(errno: EHOSTUNREACH)
        /// The operation is not valid in the socket's state (`EFSM`).
        public static let wrongState = Code(errno: EFSM)
        /// The endpoint is already in use (`EADDRINUSE`).
        public static let addressInUse = Code(errno: EADDRINUSE)
        /// Too many sockets or files are open (`EMFILE`).
        public static let tooManyFiles = Code(errno: EMFILE)
        /// The call was interrupted by a signal (`EINTR`).
        public static let interrupted = Code(errno: EINTR)

        public var description: String { String(cString: zmq_strerror(errno)) }
    }

    /// What failed.
    public var code: Code
    /// A sentence naming the call and its argument, and libzmq's explanation.
    public var message: String
    /// An underlying error, when there is one.
    public var cause: (any Error & Sendable)?

    /// - Parameters:
    ///   - code: what failed.
    ///   - message: names the call, the argument and what was wrong.
    ///   - cause: an underlying error, if any.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The error for the libzmq call `operation` that just failed, from the thread's `zmq_errno()`.
    public static func last(_ operation: @autoclosure () -> String) -> ZMQError {
        let number = zmq_errno()
        return ZMQError(Code(errno: number), "\(operation()): \(String(cString: zmq_strerror(number)))")
    }

    /// The errno value.
    public var errno: Int32 { code.errno }

    public var description: String {
        var text = "ZMQError(\(code.errno)): \(message)"
        if let cause { text += " (caused by \(cause))" }
        return text
    }
}
