import Distributed
import Transport

/// A call that the actor system could not complete: the peer is gone, the deadline passed, the target does not
/// exist… Codes are an open set (switch with a default). The callee's own thrown errors are not wrapped in this:
/// they come back as themselves (when registered) or as `RemoteCallError`.
public struct ActorSystemError: DistributedActorSystemError, CustomStringConvertible {
    /// What went wrong. The raw value travels on the wire, so a caller learns why the callee refused a call.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable wire value; never reuse one.
        public let rawValue: UInt16
        private init(_ rawValue: UInt16) { self.rawValue = rawValue }

        /// The peer was declared dead (by membership or a restart): pending calls to it fail at once.
        public static let peerTerminated = Code(1)
        /// The connection to the peer stayed down longer than the grace period.
        public static let peerUnreachable = Code(2)
        /// No reply before the call's deadline.
        public static let deadlineExceeded = Code(3)
        /// Too many calls in flight (locally or at the callee), or the transport queue stayed full until the deadline.
        public static let overloaded = Code(4)
        /// The calling task was cancelled.
        public static let cancelled = Code(5)
        /// No actor with that id on the callee.
        public static let unknownActor = Code(6)
        /// The callee's actor has no distributed method with that identifier.
        public static let unknownMethod = Code(7)
        /// The arguments did not decode as the method's parameter types, or their count was wrong.
        public static let invalidArguments = Code(8)
        /// A message that is not a valid call, reply or failure.
        public static let malformedMessage = Code(9)
        /// The call or its reply exceeds the size limit.
        public static let messageTooLarge = Code(10)
        /// The actor system (or its transport) has shut down.
        public static let shutdown = Code(11)
        /// Generic distributed methods are not supported; use concrete types.
        public static let genericsUnsupported = Code(12)
        /// A value could not be encoded or decoded.
        public static let serializationFailed = Code(13)
        /// The transport failed in another way (see the cause).
        public static let transportFailed = Code(14)

        /// Rebuilds a code received on the wire; unknown values are kept as they are.
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// The code's name.
        public var description: String {
            switch self {
            case .peerTerminated: "peerTerminated"
            case .peerUnreachable: "peerUnreachable"
            case .deadlineExceeded: "deadlineExceeded"
            case .overloaded: "overloaded"
            case .cancelled: "cancelled"
            case .unknownActor: "unknownActor"
            case .unknownMethod: "unknownMethod"
            case .invalidArguments: "invalidArguments"
            case .malformedMessage: "malformedMessage"
            case .messageTooLarge: "messageTooLarge"
            case .shutdown: "shutdown"
            case .genericsUnsupported: "genericsUnsupported"
            case .serializationFailed: "serializationFailed"
            case .transportFailed: "transportFailed"
            default: "code(\(rawValue))"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence naming what was wrong (the peer, the actor, the method, the limit…).
    public var message: String
    /// The underlying error, if any (a `TransportError`, a `DecodingError`…).
    public var cause: (any Error)?

    /// - Parameters:
    ///   - code: what kind of failure.
    ///   - message: a sentence naming what was wrong.
    ///   - cause: the underlying error, if any.
    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// Code, message and cause on one line.
    public var description: String {
        var text = "ActorSystemError.\(code): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    static func from(_ error: TransportError, _ context: String) -> ActorSystemError {
        let code: Code = switch error.code {
        case .overloaded: .overloaded
        case .messageTooLarge: .messageTooLarge
        case .shutdown: .shutdown
        case .deadlineExceeded: .deadlineExceeded
        case .peerUnreachable, .unknownPeer: .peerUnreachable
        default: .transportFailed
        }
        return ActorSystemError(code, "\(context): \(error.message)", cause: error)
    }
}

/// An error thrown by the remote actor's method whose type the caller cannot rebuild (not `Codable`, or not
/// registered with `BrigadeActorSystem.registerErrorType`).
public struct RemoteCallError: Error, Sendable, CustomStringConvertible {
    /// The thrown error's type, as `String(reflecting:)` spells it on the callee.
    public var typeName: String
    /// The error's description on the callee.
    public var message: String

    /// - Parameters:
    ///   - typeName: the thrown error's type on the callee.
    ///   - message: its description there.
    public init(typeName: String, message: String) {
        self.typeName = typeName
        self.message = message
    }

    /// Type name and message on one line.
    public var description: String { "RemoteCallError(\(typeName)): \(message)" }
}
