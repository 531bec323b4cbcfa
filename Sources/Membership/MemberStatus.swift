/// What a member is believed to be, in increasing order of precedence at one SWIM incarnation:
/// `alive(i) < suspect(i) < alive(i+1) < … `, and `dead(i)` / `left(i)` beat both at `i` or below.
public enum MemberStatus: UInt8, Sendable, Hashable, CustomStringConvertible, CaseIterable {
    case alive = 0
    case suspect = 1
    case dead = 2
    /// Left on purpose (graceful leave); final like `dead`, but no failure.
    case left = 3

    /// Dead or left: the member is gone in this life.
    public var isGone: Bool { self == .dead || self == .left }

    public var description: String {
        switch self {
        case .alive: "alive"
        case .suspect: "suspect"
        case .dead: "dead"
        case .left: "left"
        }
    }
}

/// Evidence reported from outside the protocol (`SWIMInstance.reportUnreachable`): stronger than a missed probe,
/// so it shortens suspicion to `Settings.hardEvidenceTimeout`.
public enum HardEvidence: Sendable, Hashable, CustomStringConvertible {
    /// The member's agent saw its process exit.
    case processExited(String)
    /// The transport lost the connection and a ping afterwards failed.
    case disconnect
    /// Any other report by a supervising agent.
    case agentReport(String)

    public var description: String {
        switch self {
        case .processExited(let detail): "process exited (\(detail))"
        case .disconnect: "disconnect"
        case .agentReport(let detail): "agent report (\(detail))"
        }
    }
}

/// Why a member's status changed, as seen by the member reporting the change.
public enum Evidence: Sendable, Hashable, CustomStringConvertible {
    /// Our own probe got no ack and there was no one to ask for an indirect probe.
    case directTimeout
    /// Our own probe got no ack, directly or through `relays` members; `nacks` of them answered that they could not
    /// reach the member either.
    case indirectFailure(relays: Int, nacks: Int)
    /// A suspicion ran out without refutation, after `confirmations` independent suspicions beyond the first.
    case suspicionTimeout(confirmations: Int)
    /// Hard evidence from outside the protocol.
    case hard(HardEvidence)
    /// Another member told us (piggy-backed or pushed gossip).
    case gossip(from: String)
    /// The member joined (or we first heard of it).
    case joined
    /// The member refuted a suspicion (or its own death) with a higher incarnation.
    case refuted
    /// The member left on purpose.
    case left
    /// A newer life (larger uid) of the same name appeared, so this one is over.
    case restarted

    public var description: String {
        switch self {
        case .directTimeout: "direct timeout"
        case .indirectFailure(let relays, let nacks): "indirect failure (\(relays) relays, \(nacks) nacks)"
        case .suspicionTimeout(let confirmations): "suspicion timeout (\(confirmations) confirmations)"
        case .hard(let hard): "hard evidence: \(hard)"
        case .gossip(let from): "gossip from \(from)"
        case .joined: "joined"
        case .refuted: "refuted"
        case .left: "left"
        case .restarted: "restarted"
        }
    }
}

/// A member's status changed in this instance's view. Every change is reported, `alive → suspect` included.
public struct MemberEvent: Sendable, Hashable, CustomStringConvertible {
    public var member: MemberID
    /// The member's SWIM incarnation (bumped only by the member itself, to refute).
    public var incarnation: UInt64
    /// nil when the member was unknown before.
    public var previous: MemberStatus?
    public var status: MemberStatus
    public var evidence: Evidence
    public var metadata: [String: String]
    /// When the change happened (the input's `now`).
    public var at: Timestamp
    /// For `dead`: when this instance first suspected the member (nil when it learned of the death by gossip first).
    public var suspectedSince: Timestamp?
    /// The reporting instance's local health multiplier at the time.
    public var localHealth: Int

    public var description: String {
        "\(member) inc \(incarnation): \(previous.map(\.description) ?? "new") → \(status) (\(evidence)) at \(at)"
    }
}
