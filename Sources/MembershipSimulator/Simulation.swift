import Membership

/// Runs one `SimulationConfig` to the end and returns its `SimulationReport`.
///
/// The network: each message is lost with probability `loss`, else delivered after a uniform delay; partitions and
/// one-way cuts drop it at send time; a crashed receiver drops it; a paused receiver queues it until it resumes (as
/// a stopped process's socket buffers do). Each member's ticks run when it asks for them, unless it is paused: on
/// resume it first reads its queued messages, then ticks.
public final class Simulation {
    public let config: SimulationConfig
    /// Traffic is measured from this virtual time on (e.g. after the cluster has formed).
    public var measureFrom: Duration = .zero
    /// Called with every status change, for tests that watch a run (observer name, event).
    public var onEvent: ((String, MemberEvent) -> Void)?

    private enum Action {
        case deliver(to: Int, Envelope)
        case tick(node: Int)
        case fault(Int)
        case resume(node: Int)
        case checkConvergence
    }

    private struct Node {
        var instance: SWIMInstance?
        var uid: UInt64 = 0
        var tickAt: Int64?
        var pausedUntil: Int64?
        var queued: [Envelope] = []
        var leftAt: Int64?
        /// Per subject life: (last incarnation reported, incarnation at which it was reported dead).
        var seen: [MemberID: (incarnation: UInt64, deadAt: UInt64?)] = [:]
    }

    private var nodes: [Node]
    private var queue = EventQueue<Action>()
    private var rng: SeededRandom
    private var now: Int64 = 0
    private var report: SimulationReport
    private var index: [String: Int] = [:]
    private var crashes: [MemberID: Int64] = [:]
    private var detectionIndex: [MemberID: Int] = [:]
    private let minDelay: Int64, maxDelay: Int64, end: Int64
    private var measureStart: Int64 = 0

    public init(_ config: SimulationConfig) {
        self.config = config
        nodes = Array(repeating: Node(), count: config.nodes)
        rng = SeededRandom(seed: config.seed)
        report = SimulationReport(seed: config.seed)
        minDelay = config.minDelay.nanoseconds
        maxDelay = max(config.maxDelay.nanoseconds, minDelay)
        end = config.duration.nanoseconds
        for i in 0..<config.nodes { index[SimulationConfig.name(i)] = i }
    }

    /// Runs to `config.duration` and returns the report. Call once.
    public func run() -> SimulationReport {
        measureStart = measureFrom.nanoseconds
        let jitter = config.startJitter.nanoseconds
        for i in 0..<config.nodes {
            queue.push(jitter > 0 ? Int64(rng.below(Int(jitter))) : 0, .fault(-1 - i)) // start member i
        }
        for (i, _) in config.faults.enumerated() { queue.push(config.faults[i].time, .fault(i)) }
        queue.push(100_000_000, .checkConvergence)
        while let next = queue.nextTime, next <= end {
            let (time, action) = queue.pop()!
            now = time
            switch action {
            case .deliver(let to, let envelope): deliver(envelope, to: to)
            case .tick(let node): tick(node)
            case .fault(let i): i < 0 ? startMember(-1 - i) : inject(config.faults[i])
            case .resume(let node): resume(node)
            case .checkConvergence:
                if report.firstConvergedAt == nil, isConverged() { report.firstConvergedAt = Timestamp(nanoseconds: now) }
                queue.push(now + 100_000_000, .checkConvergence)
            }
        }
        now = end
        report.convergedAtEnd = isConverged()
        report.measuredNanoseconds = max(0, end - measureStart)
        for i in nodes.indices where nodes[i].instance != nil && nodes[i].leftAt == nil {
            report.measuredMemberSeconds += Double(report.measuredNanoseconds) / 1e9
        }
        return report
    }

    /// Member `node`'s view of the others (after `run`, the view at the end); nil if it is not running.
    public func view(of node: Int) -> [MemberSnapshot]? { nodes[node].instance?.members }

    /// Member `node`'s instance as it is now (after `run`, at the end).
    public func instance(of node: Int) -> SWIMInstance? { nodes[node].instance }

    // MARK: - Members

    private func startMember(_ i: Int) {
        nodes[i].uid += 1
        let me = MemberID(name: SimulationConfig.name(i), uid: nodes[i].uid)
        let seeds = (0..<min(2, config.nodes)).map(SimulationConfig.name)
        var instance = SWIMInstance(me: me, metadata: ["role": "worker", "control": "sim://\(me.name)"],
                                    seeds: i < 2 && nodes[i].uid == 1 ? Array(seeds.prefix(i)) : seeds,
                                    settings: config.settings, seed: config.seed &* 31 &+ UInt64(i))
        let directives = instance.start(now: Timestamp(nanoseconds: now))
        nodes[i].instance = instance
        nodes[i].tickAt = nil
        nodes[i].queued = []
        nodes[i].pausedUntil = nil
        nodes[i].seen = [:]
        carryOut(directives, from: i)
    }

    private func inject(_ fault: Fault) {
        switch fault {
        case .crash(let i, _):
            guard let instance = nodes[i].instance else { return }
            nodes[i].instance = nil
            nodes[i].queued = []
            crashes[instance.me] = now
            var observers: [String: Timestamp?] = [:]
            for j in nodes.indices where j != i && nodes[j].instance != nil && nodes[j].leftAt == nil {
                observers[SimulationConfig.name(j)] = .some(nil)
            }
            detectionIndex[instance.me] = report.detections.count
            report.detections.append(.init(subject: instance.me, crashedAt: Timestamp(nanoseconds: now), observers: observers))
        case .restart(let i, _):
            guard nodes[i].instance == nil else { return }
            for d in report.detections.indices { report.detections[d].observers[SimulationConfig.name(i)] = nil }
            startMember(i)
        case .pause(let i, _, let length):
            guard nodes[i].instance != nil else { return }
            let until = now + length.nanoseconds
            nodes[i].pausedUntil = max(nodes[i].pausedUntil ?? 0, until)
            queue.push(until, .resume(node: i))
        case .leave(let i, _):
            guard var instance = nodes[i].instance else { return }
            let directives = instance.leave(now: Timestamp(nanoseconds: now))
            nodes[i].instance = instance
            nodes[i].leftAt = now
            carryOut(directives, from: i)
            for d in report.detections.indices { report.detections[d].observers[SimulationConfig.name(i)] = nil }
        case .partition, .oneWay:
            break // consulted at send time
        }
    }

    private func resume(_ i: Int) {
        guard let until = nodes[i].pausedUntil, until <= now, nodes[i].instance != nil else { return }
        nodes[i].pausedUntil = nil
        let queued = nodes[i].queued
        nodes[i].queued = []
        for envelope in queued { deliver(envelope, to: i) }
        tick(i)
    }

    private func tick(_ i: Int) {
        guard var instance = nodes[i].instance, nodes[i].pausedUntil == nil, nodes[i].leftAt == nil else { return }
        if let at = nodes[i].tickAt, at > now { return } // a stale tick event
        nodes[i].tickAt = nil
        let directives = instance.tick(now: Timestamp(nanoseconds: now))
        nodes[i].instance = instance
        carryOut(directives, from: i)
    }

    private func deliver(_ envelope: Envelope, to i: Int) {
        guard var instance = nodes[i].instance, nodes[i].leftAt == nil else { return }
        guard envelope.to.uid == 0 || envelope.to.uid == instance.me.uid else { return } // the transport's check
        if nodes[i].pausedUntil != nil {
            nodes[i].queued.append(envelope)
            return
        }
        let directives = instance.receive(envelope, now: Timestamp(nanoseconds: now))
        nodes[i].instance = instance
        carryOut(directives, from: i)
    }

    // MARK: - Directives

    private func carryOut(_ directives: [Directive], from i: Int) {
        for directive in directives {
            switch directive {
            case .send(let envelope): transmit(envelope, from: i)
            case .statusChanged(let event): record(event, observer: i)
            case .scheduleTick(let at):
                let time = max(at.nanoseconds, now)
                if nodes[i].tickAt == time { continue }
                nodes[i].tickAt = time
                queue.push(time, .tick(node: i))
            }
        }
    }

    private func transmit(_ envelope: Envelope, from i: Int) {
        report.messagesSent += 1
        var delivered = envelope
        var size = 0
        if config.encodeMessages {
            let bytes = MembershipCodec.encode(envelope)
            size = bytes.count
            do {
                delivered = try MembershipCodec.decode(bytes)
                if delivered != envelope { report.violations.append("codec round trip changed a message from \(envelope.from)") }
            } catch {
                report.violations.append("undecodable message from \(envelope.from): \(error)")
                return
            }
        }
        report.bytesSent += size
        if now >= measureStart {
            report.measuredMessages += 1
            report.measuredBytes += size
        }
        mix(UInt64(bitPattern: now) ^ UInt64(i) << 56 ^ UInt64(size))
        guard let to = index[envelope.to.name], isLinked(i, to) else { return }
        if config.loss > 0, rng.unit() < config.loss { return }
        let delay = minDelay + (maxDelay > minDelay ? Int64(rng.below(Int(maxDelay - minDelay))) : 0)
        queue.push(now + delay, .deliver(to: to, delivered))
    }

    private func isLinked(_ a: Int, _ b: Int) -> Bool {
        for fault in config.faults {
            switch fault {
            case .partition(let side, let at, let until):
                guard now >= at.nanoseconds, now < until.nanoseconds else { continue }
                if side.contains(a) != side.contains(b) { return false }
            case .oneWay(let from, let to, let at, let until):
                guard now >= at.nanoseconds, now < until.nanoseconds else { continue }
                if from == a, to == b { return false }
            default: continue
            }
        }
        return true
    }

    private func record(_ event: MemberEvent, observer i: Int) {
        let observer = SimulationConfig.name(i)
        onEvent?(observer, event)
        mix(UInt64(bitPattern: event.at.nanoseconds) ^ UInt64(i) << 48 ^ UInt64(event.status.rawValue) << 40 ^ event.incarnation)
        let subject = event.member
        // Invariants: incarnations of one life only grow; a life reported dead never returns at that incarnation.
        if let seen = nodes[i].seen[subject] {
            if event.incarnation < seen.incarnation {
                report.violations.append("\(observer) saw \(subject) go from incarnation \(seen.incarnation) to \(event.incarnation) at \(event.at)")
            }
            if event.status == .alive || event.status == .suspect, let deadAt = seen.deadAt, event.incarnation <= deadAt {
                report.violations.append("\(observer) saw dead \(subject) (incarnation \(deadAt)) come back \(event.status) at \(event.incarnation)")
            }
        }
        var entry = nodes[i].seen[subject] ?? (event.incarnation, nil)
        entry.incarnation = max(entry.incarnation, event.incarnation)
        if event.status.isGone { entry.deadAt = max(entry.deadAt ?? 0, event.incarnation) }
        nodes[i].seen[subject] = entry

        guard event.status == .dead, subject.name != observer else { return }
        report.convictions.append(.init(observer: observer, subject: subject, at: event.at, evidence: event.evidence))
        if let crashedAt = crashes[subject], crashedAt <= event.at.nanoseconds {
            if let d = detectionIndex[subject], let entry = report.detections[d].observers[observer], entry == nil {
                report.detections[d].observers[observer] = .some(event.at)
            }
        } else if let j = index[subject.name], nodes[j].leftAt == nil {
            report.falseConvictions += 1
        }
    }

    private func isConverged() -> Bool {
        let running = nodes.indices.filter { nodes[$0].instance != nil && nodes[$0].leftAt == nil }
        for i in running {
            let view = nodes[i].instance!
            for j in running where j != i {
                guard let member = view.member(named: SimulationConfig.name(j)), member.id.uid == nodes[j].uid,
                      member.status == .alive else { return false }
            }
        }
        return true
    }

    private func mix(_ value: UInt64) {
        report.traceDigest = (report.traceDigest ^ value) &* 0x100_0000_01b3
    }
}

extension Fault {
    var time: Int64 {
        switch self {
        case .crash(_, let at), .restart(_, let at), .pause(_, let at, _), .partition(_, let at, _),
             .oneWay(_, _, let at, _), .leave(_, let at):
            at.nanoseconds
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
