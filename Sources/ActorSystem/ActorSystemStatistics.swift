import Locks
import Synchronization

/// Counters of one actor system, to be wired to metrics: calls sent and received, failures by reason, what was
/// dropped. Read them with `BrigadeActorSystem.statistics`.
public struct ActorSystemStatistics: Sendable, Equatable, Codable {
    /// Remote calls this node started.
    public var callsSent: UInt64 = 0
    /// Remote calls that returned a value (or returned normally).
    public var callsSucceeded: UInt64 = 0
    /// Remote calls that failed, by `ActorSystemError.Code` description; a callee's own error counts as "remoteError".
    public var callsFailed: [String: UInt64] = [:]
    /// Inbound calls accepted and run.
    public var callsReceived: UInt64 = 0
    /// Inbound calls refused because too many were running.
    public var callsRejected: UInt64 = 0
    /// Inbound messages that could not be parsed (answered with `.malformedMessage` when they were calls).
    public var malformedMessages: UInt64 = 0
    /// Replies that matched no pending call (late after a deadline, or from a dead incarnation).
    public var unmatchedReplies: UInt64 = 0
    /// Cancel messages sent (deadline passed or caller cancelled).
    public var cancelsSent: UInt64 = 0
    /// Cancel messages received from callers.
    public var cancelsReceived: UInt64 = 0

    /// All counters at zero.
    public init() {}

    /// Failures with `code`.
    public func failed(_ code: ActorSystemError.Code) -> UInt64 { callsFailed[code.description, default: 0] }
    /// All failed calls.
    public var totalFailed: UInt64 { callsFailed.values.reduce(0, +) }
}

/// Lock-free counters behind `ActorSystemStatistics` for the hot path; failures by reason are rare and locked.
final class StatisticsCounters: Sendable {
    let callsSent = Atomic<UInt64>(0)
    let callsSucceeded = Atomic<UInt64>(0)
    let callsReceived = Atomic<UInt64>(0)
    let callsRejected = Atomic<UInt64>(0)
    let malformedMessages = Atomic<UInt64>(0)
    let unmatchedReplies = Atomic<UInt64>(0)
    let cancelsSent = Atomic<UInt64>(0)
    let cancelsReceived = Atomic<UInt64>(0)
    private let failures = Locked<[String: UInt64]>([:])

    func failed(_ reason: String) {
        failures.withLock { $0[reason, default: 0] += 1 }
    }

    var snapshot: ActorSystemStatistics {
        var s = ActorSystemStatistics()
        s.callsSent = callsSent.load(ordering: .relaxed)
        s.callsSucceeded = callsSucceeded.load(ordering: .relaxed)
        s.callsReceived = callsReceived.load(ordering: .relaxed)
        s.callsRejected = callsRejected.load(ordering: .relaxed)
        s.malformedMessages = malformedMessages.load(ordering: .relaxed)
        s.unmatchedReplies = unmatchedReplies.load(ordering: .relaxed)
        s.cancelsSent = cancelsSent.load(ordering: .relaxed)
        s.cancelsReceived = cancelsReceived.load(ordering: .relaxed)
        s.callsFailed = failures.withLock { $0 }
        return s
    }
}

extension Atomic where Value == UInt64 {
    @inline(__always)
    func increment() { wrappingAdd(1, ordering: .relaxed) }
}
