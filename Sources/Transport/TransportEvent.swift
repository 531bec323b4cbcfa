/// Something the transport observed about a peer. Events are hints for membership (DESIGN.md §4): a disconnect is
/// evidence, not a verdict.
public enum TransportEvent: Sendable, Equatable {
    /// A connection to the peer is up (after the security handshake, if any).
    case connected(peer: String, lane: Lane)
    /// The connection to the peer went down.
    case disconnected(peer: String, lane: Lane)
    /// A message arrived from a newer incarnation of a known peer: the old one is gone for good.
    case peerRestarted(old: NodeID, new: NodeID)
    /// A connection was refused by the security layer (unknown key, forged name, handshake failure).
    case rejected(endpoint: String, reason: String)
}

/// Why an inbound or outbound message was dropped instead of delivered.
public enum DropReason: String, Sendable, CaseIterable, Codable {
    /// Not a valid Brigade message (bad header, wrong frame count, bad chunk).
    case malformed
    /// Sent by an older incarnation of a peer we have heard from since.
    case staleIncarnation
    /// Meant for another incarnation of this node.
    case wrongTarget
    /// Its deadline passed before it could be delivered.
    case expired
    /// Larger than the lane allows.
    case oversize
    /// Claimed a sender name that the security layer did not authenticate.
    case forgedSender
    /// No handler is registered for its kind.
    case noHandler
    /// Dropped on purpose by fault injection.
    case injectedFault
    /// The peer's queue was full (one-way traffic such as gossip is dropped rather than waited for).
    case queueFull
}

/// Counters a transport keeps; read them with `Transport.statistics`.
public struct TransportStatistics: Sendable, Equatable, Codable {
    public var messagesSent: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    /// Dropped messages by reason.
    public var dropped: [DropReason: UInt64] = [:]

    public init() {}

    /// Drops for one reason.
    public func dropped(_ reason: DropReason) -> UInt64 { dropped[reason, default: 0] }
    /// All drops.
    public var totalDropped: UInt64 { dropped.values.reduce(0, +) }
}
