/// The knobs of the failure detector. Defaults are tuned for a LAN cluster of a few to tens of nodes
/// (research/membership-and-actors.md §5):
///
/// **Bound.** With these defaults a crashed member is convicted by every live member within **1.5 s at p99**
/// (measured with `brigade bench membership` in the simulator, 0.2–2 ms delay, no loss: p99 ≈ 1.05 s at 8 and 32
/// members). The parts: waiting to be probed (≤ one 180 ms period with `alignedProbeSchedule`), the probe itself
/// (≤ one period, less when every relay nacks), then the suspicion minimum (600 ms) once K = 3 members confirm,
/// which the confirmation probes (`probeOnSuspicion`) make quick. Hard evidence (`reportUnreachable`, or
/// `connectionLost` followed by a failed ping) convicts within probe timeout + `hardEvidenceTimeout` (~0.35 s).
///
/// **False positives.** A member that stalls (GC, a blocking GPU sync, SIGSTOP) for less than `suspicionMin` is
/// never convicted while the network delivers: the earliest conviction is one probe period + `suspicionMin` after
/// the stall starts, and the stalled member refutes as soon as it runs again.
public struct Settings: Sendable, Hashable {
    /// Time between two probes of this member (× the local health multiplier). SWIM's protocol period.
    public var probeInterval: Duration = .milliseconds(180)
    /// How long a direct ping waits for its ack before indirect probes start (× the local health multiplier).
    public var probeTimeout: Duration = .milliseconds(80)
    /// Probe targets follow a schedule aligned on time (`SWIMInstance.alignedProbeTarget`): every member is probed
    /// about once per period, so detection does not grow with the cluster. Off: SWIM's shuffled round-robin, where
    /// a member may go unprobed for several periods (p99 ≈ 4.6 periods in a large cluster). Needs clocks within a
    /// fraction of a period of each other (NTP on a LAN) only for the "once per period" part.
    public var alignedProbeSchedule = true
    /// Members asked to probe indirectly after a direct timeout (SWIM's k).
    public var indirectProbes = 3
    /// Lifeguard local health: the multiplier runs from 1 to `maxLocalHealth` + 1 (1 disables it when set to 0).
    public var maxLocalHealth = 7
    /// Suspicion timeout with K or more independent confirmations (Lifeguard's Min).
    public var suspicionMin: Duration = .milliseconds(600)
    /// Suspicion timeout with no confirmation (Lifeguard's Max).
    public var suspicionMax: Duration = .milliseconds(1800)
    /// Independent confirmations after which the suspicion timeout reaches `suspicionMin` (Lifeguard's K).
    public var confirmationsForMin = 3
    /// Suspicion timeout when hard evidence arrives (an agent saw the process exit, a disconnect then a failed ping).
    public var hardEvidenceTimeout: Duration = .milliseconds(250)
    /// On hearing that a member is suspect, probe it directly at once, so that independent confirmations (and with
    /// them the shorter timeout) come within a probe timeout instead of whenever round-robin reaches it. A Brigade
    /// addition to Lifeguard; the buddy system makes a living suspect refute on that same probe.
    public var probeOnSuspicion = true
    /// Lifeguard nacks: relays answer `nack` when they cannot reach the target; a missing nack raises local health.
    public var nacks = true
    /// Relays give up on the target after this fraction of the probe timeout and send a nack.
    public var relayTimeoutFraction = 0.8
    /// Gossip items piggy-backed on one message at most.
    public var maxGossipPerMessage = 8
    /// λ in the retransmission limit: a fact is piggy-backed λ·⌈log2(n+1)⌉ times.
    public var retransmitMultiplier = 3
    /// Members a change is pushed to at once, by everyone who learns it (infection-style), besides piggy-backing.
    public var gossipFanout = 3
    /// How often a node that has not joined yet retries its seeds.
    public var joinRetryInterval: Duration = .milliseconds(500)
    /// How often one member believed dead is told so (so a member cut off by a partition refutes and re-merges).
    public var deadMemberProbeInterval: Duration = .seconds(1)
    /// How long a dead or left member is remembered (so its life never comes back alive at the same incarnation).
    public var tombstoneLifetime: Duration = .seconds(600)

    public init() {}

    /// Lifeguard's suspicion timeout for `confirmations` independent suspicions beyond the first:
    /// `max(Min, Max − (Max − Min)·log(C+1)/log(K+1))`.
    public func suspicionTimeout(confirmations: Int) -> Int64 {
        let minNs = suspicionMin.nanosecondCount, maxNs = max(suspicionMax.nanosecondCount, minNs)
        let k = max(1, confirmationsForMin)
        let fraction = (Double(max(0, confirmations)) + 1).logarithm / (Double(k) + 1).logarithm
        let timeout = Double(maxNs) - Double(maxNs - minNs) * fraction
        return max(minNs, Int64(timeout))
    }
}

extension Double {
    /// Natural logarithm without Foundation (series on the mantissa; exact enough for timeouts).
    var logarithm: Double {
        guard self > 0 else { return -.infinity }
        let exponent = Double(self.exponent)
        let m = self.significand  // in [1, 2)
        let y = (m - 1) / (m + 1), y2 = y * y
        var term = y, sum = 0.0
        for k in stride(from: 1, through: 41, by: 2) {
            sum += term / Double(k)
            term *= y2
        }
        return 2 * sum + exponent * 0.693_147_180_559_945_3
    }
}
