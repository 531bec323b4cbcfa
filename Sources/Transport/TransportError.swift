/// An error from a transport. Codes are an open set: new codes may be added without breaking callers, so switch
/// over `code` with a default.
public struct TransportError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case unknownPeer, overloaded, messageTooLarge, shutdown, deadlineExceeded, malformedFrame
            case peerUnreachable, securityRejected, invalidAddress, invalidConfiguration, io
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// No peer of that name was added to the transport.
        public static let unknownPeer = Code(.unknownPeer)
        /// The peer's outbound queue stayed full until the message's deadline.
        public static let overloaded = Code(.overloaded)
        /// The message exceeds the lane's size limit.
        public static let messageTooLarge = Code(.messageTooLarge)
        /// The transport has shut down.
        public static let shutdown = Code(.shutdown)
        /// The deadline passed before the operation completed.
        public static let deadlineExceeded = Code(.deadlineExceeded)
        /// Bytes that are not a valid Brigade message.
        public static let malformedFrame = Code(.malformedFrame)
        /// The peer cannot be reached (its connection is down, or membership declared it dead).
        public static let peerUnreachable = Code(.peerUnreachable)
        /// Authentication failed: unknown key, or a node name that does not match its key.
        public static let securityRejected = Code(.securityRejected)
        /// An endpoint address that cannot be parsed or bound.
        public static let invalidAddress = Code(.invalidAddress)
        /// A setting that cannot work (e.g. an empty node name, a missing key).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// An operating-system or library error.
        public static let io = Code(.io)

        public var description: String { "\(value)" }
    }

    public var code: Code
    /// A sentence naming what was wrong (the peer, the field, the size…).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "TransportError.\(code): \(message)" }
}
