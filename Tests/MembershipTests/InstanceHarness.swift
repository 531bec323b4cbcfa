import Membership

/// Drives one instance by hand: fixed member ids, explicit times, and helpers to pick directives apart.
struct Harness {
    var instance: SWIMInstance
    var now: Timestamp = .zero
    var last: [Directive] = []

    static func id(_ name: String, _ uid: UInt64 = 1) -> MemberID { MemberID(name: name, uid: uid) }

    /// An instance `a#1` that already knows `others` as alive (learned through a join answer).
    init(others: [String] = ["b", "c", "d", "e"], settings: Settings = Settings(), seed: UInt64 = 1) {
        instance = SWIMInstance(me: Harness.id("a"), metadata: ["role": "test"], seeds: [], settings: settings, seed: seed)
        last = instance.start(now: now)
        if !others.isEmpty {
            let facts = others.map { Gossip(member: Harness.id($0), incarnation: 0, status: .alive) }
            receive(Envelope(from: Harness.id(others[0]), to: Harness.id("a"), body: .joinAck, gossip: facts))
        }
    }

    @discardableResult
    mutating func receive(_ envelope: Envelope) -> [Directive] {
        last = instance.receive(envelope, now: now)
        return last
    }

    @discardableResult
    mutating func gossip(_ facts: [Gossip], from: String = "b") -> [Directive] {
        receive(Envelope(from: Harness.id(from), to: Harness.id("a"), body: .gossip, gossip: facts))
    }

    /// Ticks at `ms` milliseconds.
    @discardableResult
    mutating func tick(at ms: Int64) -> [Directive] {
        now = .milliseconds(ms)
        last = instance.tick(now: now)
        return last
    }

    /// Ticks at every scheduled wakeup up to `ms`, collecting all directives.
    mutating func run(until ms: Int64) -> [Directive] {
        var all: [Directive] = []
        for _ in 0..<100_000 {
            guard let wake = instance.nextWakeup, wake <= .milliseconds(ms) else { break }
            now = max(now, wake)
            all += instance.tick(now: now)
        }
        now = max(now, .milliseconds(ms))
        last = all
        return all
    }

    static func sends(_ directives: [Directive]) -> [Envelope] {
        directives.compactMap { if case .send(let envelope) = $0 { envelope } else { nil } }
    }

    static func events(_ directives: [Directive]) -> [MemberEvent] {
        directives.compactMap { if case .statusChanged(let event) = $0 { event } else { nil } }
    }

    static func scheduled(_ directives: [Directive]) -> Timestamp? {
        directives.compactMap { if case .scheduleTick(let at) = $0 { at } else { nil } }.last
    }
}
