import Membership

/// What happened in one run, and the property checks made while it ran.
public struct SimulationReport: Sendable {
    public var seed: UInt64
    /// Every conviction (a `dead` event) by every observer.
    public var convictions: [Conviction] = []
    /// Convictions of lives that had not crashed (paused, partitioned or merely slow members): false positives when
    /// the network delivered and no stall exceeded the suspicion minimum.
    public var falseConvictions = 0
    /// Broken invariants (incarnation going down, a dead life coming back at the same incarnation, undecodable
    /// messages). Empty in a correct run.
    public var violations: [String] = []
    /// For every crash: when each live member convicted it.
    public var detections: [Detection] = []
    public var messagesSent = 0
    public var bytesSent = 0
    /// Messages and bytes sent after `SimulationConfig` time `measureFrom` (see `Simulation.measureFrom`).
    public var measuredMessages = 0
    public var measuredBytes = 0
    public var measuredNanoseconds: Int64 = 0
    /// Member-seconds measured (sum over members of their live time after `measureFrom`).
    public var measuredMemberSeconds = 0.0
    /// A digest of every event in order: equal digests mean identical runs.
    public var traceDigest: UInt64 = 0xcbf2_9ce4_8422_2325
    /// At the end: does every running member see every other running member (its current life) alive?
    public var convergedAtEnd = false
    /// The first virtual time at which the cluster was fully converged, if it ever was.
    public var firstConvergedAt: Timestamp?

    public struct Conviction: Sendable, Hashable {
        public var observer: String
        public var subject: MemberID
        public var at: Timestamp
        public var evidence: Evidence
    }

    public struct Detection: Sendable, Hashable {
        public var subject: MemberID
        public var crashedAt: Timestamp
        /// Observers that were running at the crash and to the end, with the time each convicted (nil: never).
        public var observers: [String: Timestamp?]
        /// Crash to conviction by the last observer; nil if some observer never convicted.
        public var latencyNanoseconds: Int64? {
            var worst: Int64 = 0
            for (_, at) in observers {
                guard let at else { return nil }
                worst = max(worst, at.since(crashedAt))
            }
            return worst
        }
    }

    /// A one-line summary for failure messages (includes the seed, to replay).
    public var summary: String {
        let latencies = detections.map { $0.latencyNanoseconds.map { "\($0 / 1_000_000)ms" } ?? "never" }
        return "seed \(seed): false convictions \(falseConvictions), detections \(latencies), violations \(violations.prefix(3)), converged \(convergedAtEnd)"
    }
}
