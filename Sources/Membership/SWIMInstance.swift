/// One member's SWIM + Lifeguard failure detector, as a pure state machine.
///
/// Inputs are method calls — `start`, `receive`, `tick`, `reportUnreachable`, `leave` — each given the current time;
/// each returns the directives for the shell (send, status changed, schedule the next tick). The instance never
/// reads a clock, never sleeps, and draws every random choice from a generator seeded at `init`, so a given
/// sequence of inputs always produces the same directives.
///
/// The protocol (SWIM, Das et al. 2002; Lifeguard, Dadgar et al. 2017, arXiv 1707.00788):
/// - every `probeInterval` (× local health) ping the next member of a shuffled round-robin; after `probeTimeout`
///   without an ack ask `indirectProbes` others to ping it (`pingRequest`); relays answer `nack` when they fail
///   too; no ack by the end of the period → suspect (with the evidence);
/// - a suspicion ends in conviction after a timeout that shrinks from `suspicionMax` to `suspicionMin` as
///   independent suspicions arrive (Lifeguard IV.B), or after `hardEvidenceTimeout` with hard evidence;
/// - the suspect refutes by gossiping a higher incarnation; messages to a suspect carry its own suspicion (buddy
///   system), so it learns at the next probe;
/// - local health (Lifeguard IV.A) rises on failed probes, missed nacks and refutations and falls on successful
///   probes; it stretches the probe interval and timeout so a slow member stops accusing others;
/// - facts are piggy-backed on every message, each λ·⌈log2(n+1)⌉ times; changes (suspect, dead, left,
///   refutations) are also pushed at once to `gossipFanout` members;
/// - dead and left members stay as tombstones: the same life never comes back at the same or a lower incarnation;
///   a life that hears of its own death refutes with a higher incarnation and rejoins.
public struct SWIMInstance: Sendable {
    public let settings: Settings
    /// This member's current life.
    public let me: MemberID
    /// This member's SWIM incarnation; only this member raises it, to refute.
    public internal(set) var incarnation: UInt64 = 0
    /// This member's metadata, gossiped with its `alive` facts.
    public internal(set) var metadata: [String: String]
    /// Lifeguard's local health score, 0 (healthy) … `settings.maxLocalHealth`; timeouts scale by 1 + this.
    public internal(set) var localHealth = 0
    public internal(set) var metrics = MembershipMetrics()
    /// True once a seed answered (or when there were no seeds).
    public internal(set) var hasJoined: Bool
    /// True after `leave`.
    public internal(set) var hasLeft = false

    var rng: SeededRandom
    var records: [String: MemberRecord] = [:]
    /// Names of `records`, sorted, so that every walk over members is deterministic.
    var names: [String] = []
    var probeOrder: [String] = []
    var probeIndex = 0
    var probe: ActiveProbe?
    var nextProbeAt: Timestamp = .zero
    var relays: [Relay] = []
    var checks: [Check] = []
    var broadcasts: [Broadcast] = []
    /// Names whose change must be pushed at the end of the current input.
    var pendingPush: [String] = []
    var nextSequence: UInt32 = 1
    let seeds: [String]
    var nextJoinAt: Timestamp?
    var nextDeadProbeAt: Timestamp = .zero
    var lastIntroduction: [String: Timestamp] = [:]
    var started = false
    /// The directives of the input being handled.
    var out: [Directive] = []

    /// - Parameters:
    ///   - me: this member's life (name + process uid, non-zero).
    ///   - metadata: role, addresses, what it serves; at most 32 entries.
    ///   - seeds: names of members to join through (this member's own name is ignored). Empty: start alone.
    ///   - seed: the random seed (probe order, relays, gossip targets).
    public init(me: MemberID, metadata: [String: String] = [:], seeds: [String] = [], settings: Settings = Settings(),
                seed: UInt64) {
        precondition(me.uid != 0 && !me.name.isEmpty, "a member needs a name and a non-zero uid")
        self.me = me
        self.metadata = metadata
        self.settings = settings
        self.seeds = seeds.filter { $0 != me.name }
        self.hasJoined = self.seeds.isEmpty
        self.rng = SeededRandom(seed: seed ^ me.uid)
    }

    // MARK: - Inputs

    /// Starts probing and, with seeds, joining. Call once, before the other inputs.
    public mutating func start(now: Timestamp) -> [Directive] {
        out = []
        guard !started else { return finish(now) }
        started = true
        // Spread the first probes of members started together over one period.
        nextProbeAt = now.adding(nanoseconds: Int64(rng.unit() * Double(interval)))
        nextDeadProbeAt = now.adding(nanoseconds: settings.deadMemberProbeInterval.nanosecondCount)
        if !hasJoined { sendJoin(now) }
        return finish(now)
    }

    /// Handles one message from the network.
    public mutating func receive(_ envelope: Envelope, now: Timestamp) -> [Directive] {
        out = []
        guard started, !hasLeft, envelope.from.name != me.name,
              envelope.to.name == me.name, envelope.to.uid == 0 || envelope.to.uid == me.uid
        else { return finish(now) }
        if let known = records[envelope.from.name], known.id.uid > envelope.from.uid { return finish(now) }
        for fact in envelope.gossip { apply(fact, from: envelope.from, now: now) }
        handleBody(envelope, now: now)
        introduceIfUnknown(envelope.from, now: now)
        return finish(now)
    }

    /// Advances timers: probe deadlines, suspicions, retries. Call at (or after) the time of the last
    /// `scheduleTick`; calling early or often is harmless.
    public mutating func tick(now: Timestamp) -> [Directive] {
        out = []
        guard started, !hasLeft else { return finish(now) }
        expireChecks(now)
        expireRelays(now)
        advanceProbe(now)
        expireSuspicions(now)
        expireTombstones(now)
        if !hasJoined, let at = nextJoinAt, now >= at { sendJoin(now) }
        if now >= nextDeadProbeAt { probeDeadMember(now) }
        if now >= nextProbeAt { startProbe(now) }
        return finish(now)
    }

    /// Hard evidence that `member` is gone (its agent saw the process exit; a disconnect followed by a failed ping):
    /// suspect it at once and convict within `hardEvidenceTimeout` unless it refutes.
    public mutating func reportUnreachable(_ member: MemberID, evidence: HardEvidence, now: Timestamp) -> [Directive] {
        out = []
        guard started, !hasLeft, let record = records[member.name], record.id.uid == member.uid,
              !record.status.isGone
        else { return finish(now) }
        applyHardEvidence(member.name, evidence, now: now)
        return finish(now)
    }

    /// The transport lost its connection to `member`: ping it at once, and if that ping goes unanswered for a probe
    /// timeout, treat it as hard evidence (`HardEvidence.disconnect`). A disconnect alone proves nothing (the peer
    /// may be reconnecting).
    public mutating func connectionLost(_ member: MemberID, now: Timestamp) -> [Directive] {
        out = []
        guard started, !hasLeft, let record = records[member.name], record.id.uid == member.uid,
              !record.status.isGone
        else { return finish(now) }
        checks.removeAll { $0.target == member }
        startCheck(record.id, now: now, hard: .disconnect)
        return finish(now)
    }

    mutating func applyHardEvidence(_ name: String, _ evidence: HardEvidence, now: Timestamp) {
        suspect(name, evidence: .hard(evidence), now: now)
        let deadline = now.adding(nanoseconds: settings.hardEvidenceTimeout.nanosecondCount)
        records[name]!.hardEvidence = evidence
        records[name]!.hardDeadline = min(records[name]!.hardDeadline ?? deadline, deadline)
    }

    /// Leaves the cluster on purpose: tells every member, then ignores all input. The shell may stop right after
    /// sending the returned messages.
    public mutating func leave(now: Timestamp) -> [Directive] {
        out = []
        guard started, !hasLeft else { return finish(now) }
        hasLeft = true
        incarnation += 1
        probe = nil
        let fact = Gossip(member: me, incarnation: incarnation, status: .left)
        for name in names where records[name]!.status != .dead && records[name]!.status != .left {
            send(Envelope(from: me, to: records[name]!.id, body: .gossip, gossip: [fact]))
        }
        return finish(now)
    }

    /// Changes this member's metadata and gossips it (with a new incarnation, so it wins everywhere).
    public mutating func updateMetadata(_ metadata: [String: String], now: Timestamp) -> [Directive] {
        out = []
        self.metadata = metadata
        incarnation += 1
        enqueueBroadcast(me.name)
        return finish(now)
    }

    // MARK: - Views

    /// Every member known, this one excluded, dead and left tombstones included, sorted by name.
    public var members: [MemberSnapshot] { names.map { records[$0]!.snapshot } }

    public func member(named name: String) -> MemberSnapshot? { records[name]?.snapshot }

    /// The earliest time at which `tick` has work to do.
    public var nextWakeup: Timestamp? {
        guard started, !hasLeft else { return nil }
        var at = nextProbeAt
        if let probe {
            if !probe.indirectSent { at = min(at, probe.directDeadline) }
            at = min(at, probe.periodEnd)
        }
        for relay in relays { at = min(at, relay.deadline) }
        for check in checks { at = min(at, check.deadline) }
        for name in names {
            if let deadline = suspicionDeadline(records[name]!) { at = min(at, deadline) }
        }
        if !hasJoined, let join = nextJoinAt { at = min(at, join) }
        return min(at, nextDeadProbeAt)
    }

    // MARK: - Timing

    /// The local health multiplier applied to intervals and timeouts.
    var healthMultiplier: Int64 { Int64(1 + localHealth) }
    var interval: Int64 { settings.probeInterval.nanosecondCount * healthMultiplier }
    var timeout: Int64 { settings.probeTimeout.nanosecondCount * healthMultiplier }

    mutating func adjustHealth(_ delta: Int) {
        localHealth = min(settings.maxLocalHealth, max(0, localHealth + delta))
    }

    mutating func finish(_ now: Timestamp) -> [Directive] {
        flushPush(now)
        var alive = 0, suspect = 0, dead = 0
        for name in names {
            switch records[name]!.status {
            case .alive: alive += 1
            case .suspect: suspect += 1
            case .dead: dead += 1
            case .left: break
            }
        }
        metrics.alive = alive
        metrics.suspect = suspect
        metrics.dead = dead
        metrics.localHealth = localHealth
        if let wake = nextWakeup { out.append(.scheduleTick(at: max(wake, now))) }
        let result = out
        out = []
        return result
    }

    mutating func makeSequence() -> UInt32 {
        defer { nextSequence &+= 1 }
        return nextSequence
    }

    mutating func send(_ envelope: Envelope) {
        metrics.messagesSent += 1
        out.append(.send(envelope))
    }
}
