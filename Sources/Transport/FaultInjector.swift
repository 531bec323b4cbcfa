import Synchronization

/// Seeded per-link fault injection: drop, delay and partition messages between this node and its peers.
///
/// Transports consult it for every message: outbound before handing it to the network, inbound before delivering
/// it. Rules are keyed by peer name and direction, so one-way faults (A hears B, B does not hear A) are expressible.
/// Decisions come from one seeded generator, so a test's faults replay exactly for a given seed and message order.
public final class FaultInjector: Sendable {
    /// Which way a rule applies, seen from this node.
    public enum Direction: String, Sendable, Codable, CaseIterable {
        case outbound, inbound, both
    }

    /// What happens to a message on a faulty link.
    public struct Rule: Sendable, Equatable, Codable {
        /// Probability in 0...1 that a message is dropped; 1 is a partition.
        public var dropProbability: Double
        /// Extra delay added to each message that is not dropped.
        public var delay: ClosedRange<Double>
        /// Lanes the rule applies to.
        public var lanes: Set<UInt8>

        /// - Parameters:
        ///   - dropProbability: chance of dropping each message, 0...1.
        ///   - delaySeconds: a uniformly drawn extra delay in seconds for each delivered message.
        ///   - lanes: the lanes affected (default both).
        public init(dropProbability: Double = 0, delaySeconds: ClosedRange<Double> = 0...0, lanes: Set<Lane> = [.control, .bulk]) {
            self.dropProbability = min(max(dropProbability, 0), 1)
            self.delay = max(0, delaySeconds.lowerBound)...max(0, delaySeconds.upperBound)
            self.lanes = Set(lanes.map(\.rawValue))
        }

        /// Every message dropped: the link is cut.
        public static let partition = Rule(dropProbability: 1)
    }

    /// The verdict for one message.
    public enum Decision: Sendable, Equatable {
        case deliver
        case drop
        case delay(Duration)
    }

    private struct State: Sendable {
        var rules: [String: [Direction: Rule]] = [:]
        var rng: SplitMix64
    }

    private let state: Mutex<State>
    /// Fast path: no rule installed means every message is delivered without taking the lock.
    private let active = Atomic<Bool>(false)

    /// - Parameter seed: the seed of the generator that decides drops and delays.
    public init(seed: UInt64 = 0x5EED) {
        state = Mutex(State(rng: SplitMix64(seed: seed)))
    }

    /// Installs `rule` for messages to and/or from `peer` (`"*"` matches every peer), replacing an earlier rule for
    /// the same peer and direction.
    public func set(_ rule: Rule, peer: String, direction: Direction = .both) {
        state.withLock { state in
            state.rules[peer, default: [:]][direction] = rule
        }
        active.store(true, ordering: .releasing)
    }

    /// Removes the rules for `peer` (every direction).
    public func clear(peer: String) {
        let empty = state.withLock { state in
            state.rules[peer] = nil
            return state.rules.isEmpty
        }
        if empty { active.store(false, ordering: .releasing) }
    }

    /// Removes every rule.
    public func clearAll() {
        state.withLock { $0.rules.removeAll() }
        active.store(false, ordering: .releasing)
    }

    /// Re-seeds the generator.
    public func reseed(_ seed: UInt64) {
        state.withLock { $0.rng = SplitMix64(seed: seed) }
    }

    /// The installed rules, for display.
    public var rules: [String: [Direction: Rule]] { state.withLock { $0.rules } }

    /// Decides the fate of one message to (`.outbound`) or from (`.inbound`) `peer` on `lane`.
    public func decide(peer: String, direction: Direction, lane: Lane) -> Decision {
        guard active.load(ordering: .acquiring) else { return .deliver }
        return state.withLock { state in
            guard let rule = Self.rule(in: state.rules, peer: peer, direction: direction),
                rule.lanes.contains(lane.rawValue)
            else { return .deliver }
            if rule.dropProbability > 0, state.rng.nextUnit() < rule.dropProbability { return .drop }
            guard rule.delay.upperBound > 0 else { return .deliver }
            let seconds = rule.delay.lowerBound + (rule.delay.upperBound - rule.delay.lowerBound) * state.rng.nextUnit()
            return .delay(.nanoseconds(Int64(seconds * 1e9)))
        }
    }

    private static func rule(in rules: [String: [Direction: Rule]], peer: String, direction: Direction) -> Rule? {
        for key in [peer, "*"] {
            if let byDirection = rules[key], let rule = byDirection[direction] ?? byDirection[.both] { return rule }
        }
        return nil
    }
}

/// A small, fast, seedable generator (SplitMix64, Steele et al. 2014). Not for cryptography.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}
