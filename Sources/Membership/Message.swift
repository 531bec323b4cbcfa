/// One fact about a member, spread by gossip (piggy-backed on every message, or pushed on a change).
public struct Gossip: Sendable, Hashable {
    public var member: MemberID
    public var incarnation: UInt64
    public var status: MemberStatus
    /// The member's metadata (role, addresses, what it serves); sent with `alive` facts, empty otherwise.
    public var metadata: [String: String]
    /// For `suspect`: the names of the members that suspect it independently (sorted, at most K+1).
    public var suspectors: [String]

    public init(member: MemberID, incarnation: UInt64, status: MemberStatus, metadata: [String: String] = [:],
                suspectors: [String] = []) {
        self.member = member
        self.incarnation = incarnation
        self.status = status
        self.metadata = metadata
        self.suspectors = suspectors
    }
}

/// What a message asks for. Sequence numbers match acks and nacks to the probe that caused them.
public enum MessageBody: Sendable, Hashable {
    /// "Are you there?" The receiver answers `ack` with the same sequence number.
    case ping(sequence: UInt32)
    /// "Please ping `target` for me" (SWIM indirect probe). The receiver answers `ack` if the target answered,
    /// else `nack` (Lifeguard), both carrying the origin's sequence number.
    case pingRequest(sequence: UInt32, target: MemberID)
    /// `target` answered a probe with this sequence number (sent by the target itself, or relayed).
    case ack(sequence: UInt32, target: MemberID)
    /// A relay could not reach `target` in time.
    case nack(sequence: UInt32, target: MemberID)
    /// "Let me in / introduce yourself": the gossip carries the sender's own `alive` fact. Answered by `joinAck`.
    case join
    /// The answer to `join`: the gossip carries the sender's whole view.
    case joinAck
    /// Gossip only (a pushed change, a refutation, a note to a member we believe dead).
    case gossip
}

/// A membership message with its addressing.
public struct Envelope: Sendable, Hashable {
    /// The sender's current life.
    public var from: MemberID
    /// The intended receiver; `to.uid == 0` means any life of that name (seeds). A receiver drops messages addressed
    /// to another life of its name.
    public var to: MemberID
    public var body: MessageBody
    public var gossip: [Gossip]

    public init(from: MemberID, to: MemberID, body: MessageBody, gossip: [Gossip] = []) {
        self.from = from
        self.to = to
        self.body = body
        self.gossip = gossip
    }
}
