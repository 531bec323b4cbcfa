import Membership

/// A seeded deterministic simulator for the membership state machine: N instances over a simulated network in
/// virtual time. The same configuration (seed included) always produces the same run, event for event, so a failing
/// seed printed by a test replays exactly.
///
/// What one run is made of.
public struct SimulationConfig: Sendable {
    /// Members, named `n0` … `n(N-1)`. Each joins through the seeds `n0`, `n1` (other than itself).
    public var nodes: Int
    public var seed: UInt64
    public var settings: Settings
    /// Probability that any one message is lost.
    public var loss: Double = 0
    /// One-way delay of every message, uniform in this range.
    public var minDelay: Duration = .microseconds(200)
    public var maxDelay: Duration = .milliseconds(2)
    /// Members start at random times within this window.
    public var startJitter: Duration = .milliseconds(100)
    /// Virtual time to simulate.
    public var duration: Duration
    public var faults: [Fault] = []
    /// Encode and decode every message with the binary codec (counts bytes, exercises the codec).
    public var encodeMessages = true

    public init(nodes: Int, seed: UInt64, settings: Settings = Settings(), duration: Duration) {
        self.nodes = nodes
        self.seed = seed
        self.settings = settings
        self.duration = duration
    }

    public static func name(_ index: Int) -> String { "n\(index)" }
}

/// A fault injected at a virtual time.
public enum Fault: Sendable, Hashable {
    /// The process dies: it stops, its queued messages are lost.
    case crash(node: Int, at: Duration)
    /// A crashed member starts again with a new uid and rejoins through the seeds.
    case restart(node: Int, at: Duration)
    /// The process stalls for `length` (GC, a blocking GPU sync, SIGSTOP): messages queue, timers wait.
    case pause(node: Int, at: Duration, length: Duration)
    /// Messages between `side` and the rest are dropped in both directions from `at` until `until`.
    case partition(side: [Int], at: Duration, until: Duration)
    /// Messages from `from` to `to` are dropped (one direction only) from `at` until `until`.
    case oneWay(from: Int, to: Int, at: Duration, until: Duration)
    /// The member leaves gracefully.
    case leave(node: Int, at: Duration)
}
