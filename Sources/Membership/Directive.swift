/// What the instance asks its shell to do. Handlers return them in order; the shell carries them out in that order.
public enum Directive: Sendable, Hashable {
    /// Send this message to `envelope.to` (by name; `to.uid` tells the transport which life is meant).
    case send(Envelope)
    /// A member's status changed in this instance's view.
    case statusChanged(MemberEvent)
    /// Call `tick(now:)` at this time (replaces any earlier request). Every handler ends with one. The interval
    /// varies with local health, so shells must not use a fixed repeating timer.
    case scheduleTick(at: Timestamp)
}

/// A read-only view of one member, for status pages and tests.
public struct MemberSnapshot: Sendable, Hashable {
    public var id: MemberID
    public var incarnation: UInt64
    public var status: MemberStatus
    public var metadata: [String: String]
    /// Independent suspectors, when suspect.
    public var suspectors: [String]
}

/// Counters and gauges of one instance. The shell exports them (Prometheus, `/v1/cluster`).
public struct MembershipMetrics: Sendable, Hashable {
    /// Status changes seen, by the new status (index = `MemberStatus.rawValue`).
    public var transitions = [Int](repeating: 0, count: MemberStatus.allCases.count)
    public var probesSucceeded = 0
    public var probesFailed = 0
    public var indirectProbesSent = 0
    public var nacksReceived = 0
    public var missedNacks = 0
    /// Times this member refuted a suspicion (or its own death) about itself.
    public var refutations = 0
    /// Times this member heard that others had convicted it.
    public var convictedSelf = 0
    public var messagesSent = 0
    /// Round-trip times of successful direct probes.
    public var rttCount = 0
    public var rttTotalNanoseconds: Int64 = 0
    public var rttMaxNanoseconds: Int64 = 0
    /// For each conviction by this member's own timer: time from its first suspicion to the conviction (the last
    /// 256 kept).
    public var convictionLatenciesNanoseconds: [Int64] = []
    /// Gauges, updated after every input.
    public var alive = 0
    public var suspect = 0
    public var dead = 0
    /// The local health multiplier minus one (0 = healthy).
    public var localHealth = 0

    public func transitions(to status: MemberStatus) -> Int { transitions[Int(status.rawValue)] }
}
