/// Which of a node's two inboxes a message travels to. Control carries calls, replies and membership probes and is
/// never queued behind bulk data; bulk carries activations, token events and KV blocks (DESIGN.md §3).
public enum Lane: UInt8, Sendable, Hashable, CaseIterable {
    case control = 0
    case bulk = 1
}

/// What a message is. The transport routes inbound messages to the handler registered for their kind; the set of
/// kinds only grows (new kinds get new raw values, old values never change meaning).
public struct MessageKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A distributed actor call expecting a reply.
    public static let call = MessageKind(rawValue: 1)
    /// The successful reply to a call (same call id).
    public static let reply = MessageKind(rawValue: 2)
    /// The failed reply to a call: the callee threw, or the call could not be executed.
    public static let failure = MessageKind(rawValue: 3)
    /// A one-way message; nobody replies.
    public static let oneway = MessageKind(rawValue: 4)
    /// The caller gave up on a call (deadline, cancellation); the callee may stop working on it.
    public static let cancel = MessageKind(rawValue: 5)
    /// SWIM membership traffic (probes, acks, gossip), answered on the I/O side.
    public static let membership = MessageKind(rawValue: 6)
    /// Data-plane traffic: activations, token events, KV blocks.
    public static let data = MessageKind(rawValue: 7)
    /// One chunk of a large message being split by the transport (internal to transports).
    public static let chunk = MessageKind(rawValue: 8)
    /// Transport-level greeting, sent when a connection is made (internal to transports).
    public static let hello = MessageKind(rawValue: 9)

    public var description: String {
        switch self {
        case .call: "call"
        case .reply: "reply"
        case .failure: "failure"
        case .oneway: "oneway"
        case .cancel: "cancel"
        case .membership: "membership"
        case .data: "data"
        case .chunk: "chunk"
        case .hello: "hello"
        default: "kind(\(rawValue))"
        }
    }
}
