/// What an instance knows about one member (the latest life of its name).
struct MemberRecord: Sendable {
    var id: MemberID
    var incarnation: UInt64
    var status: MemberStatus
    var metadata: [String: String]
    /// Sorted names of independent suspectors (at most K + 1), while suspect.
    var suspectors: [String] = []
    /// When this instance started suspecting (local time), while suspect; kept for the conviction event.
    var suspectedSince: Timestamp?
    /// Set when hard evidence arrived: conviction at this time at the latest.
    var hardDeadline: Timestamp?
    var hardEvidence: HardEvidence?
    /// When it became dead or left (for tombstone expiry).
    var goneAt: Timestamp?

    var fact: Gossip {
        Gossip(member: id, incarnation: incarnation, status: status,
               metadata: status == .alive ? metadata : [:], suspectors: status == .suspect ? suspectors : [])
    }

    var snapshot: MemberSnapshot {
        MemberSnapshot(id: id, incarnation: incarnation, status: status, metadata: metadata, suspectors: suspectors)
    }
}

/// The probe of this protocol period (SWIM §3.1).
struct ActiveProbe: Sendable {
    var target: MemberID
    var sequence: UInt32
    var sentAt: Timestamp
    var directDeadline: Timestamp
    var periodEnd: Timestamp
    var relays = 0
    var nacks = 0
    var indirectSent = false
}

/// A ping we send on behalf of another member's `pingRequest`.
struct Relay: Sendable {
    var sequence: UInt32
    var origin: MemberID
    var originSequence: UInt32
    var target: MemberID
    var deadline: Timestamp
}

/// A direct ping out of turn: to a member we heard is suspect (`Settings.probeOnSuspicion`), or to one whose
/// connection dropped (then a failure is hard evidence).
struct Check: Sendable {
    var sequence: UInt32
    var target: MemberID
    var deadline: Timestamp
    var hardEvidenceOnFailure: HardEvidence?
}

/// A fact waiting to be piggy-backed; the fact itself is read from the record when sent, so it is always current.
struct Broadcast: Sendable {
    var name: String
    var transmissions = 0
}
