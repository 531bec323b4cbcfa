#if canImport(Glibc)
import Glibc
#endif

/// The identity of one process start: a stable `name` plus an `incarnation` that is new on every start.
///
/// Two starts of the same node (a crash and a restart under the same name) have the same name and different
/// incarnations; the later start has the larger incarnation. Messages carry both, so a restarted peer never
/// receives what was meant for its previous life, and a peer's old messages are recognised and dropped.
public struct NodeID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The node's name, unique in a cluster (e.g. `node-a`, `node-a/worker-1`, `coordinator`). At most 255 UTF-8 bytes.
    public var name: String
    /// Non-zero; larger for a later start of the same name.
    public var incarnation: UInt64

    public init(name: String, incarnation: UInt64) {
        self.name = name
        self.incarnation = incarnation
    }

    /// A new identity for a process starting now: the incarnation is the wall clock in nanoseconds, so it grows
    /// across restarts, with the lowest bits randomised against two starts in the same clock tick.
    public static func fresh(name: String) -> NodeID {
        let now = Deadline.now.nanosecondsSinceEpoch
        return NodeID(name: name, incarnation: (now & ~0xFFF) | UInt64.random(in: 1...0xFFF))
    }

    public var description: String { "\(name)#\(String(incarnation, radix: 16))" }
}

/// A point in wall-clock time, in nanoseconds since the Unix epoch. Deadlines cross process boundaries, so they use
/// the wall clock (CLOCK_REALTIME), not a monotonic one; hosts in one cluster are assumed to be NTP-synchronised.
public struct Deadline: Hashable, Sendable, Comparable, Codable {
    /// Nanoseconds since 1970-01-01T00:00:00Z; 0 means "no deadline".
    public var nanosecondsSinceEpoch: UInt64

    public init(nanosecondsSinceEpoch: UInt64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// No deadline at all.
    public static let none = Deadline(nanosecondsSinceEpoch: 0)

    /// The current wall-clock time.
    public static var now: Deadline {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Deadline(nanosecondsSinceEpoch: UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec))
    }

    /// The deadline `duration` from now.
    public static func after(_ duration: Duration) -> Deadline {
        let (seconds, attoseconds) = duration.components
        let nanos = Int64(seconds) &* 1_000_000_000 &+ attoseconds / 1_000_000_000
        return Deadline(nanosecondsSinceEpoch: UInt64(max(0, Int64(bitPattern: now.nanosecondsSinceEpoch) &+ nanos)))
    }

    /// True when this is a real deadline (not `.none`) and it has passed.
    public var isExpired: Bool { self != .none && self <= .now }

    /// Time left until the deadline (zero when it has passed; `nil` for `.none`).
    public var remaining: Duration? {
        guard self != .none else { return nil }
        let now = Deadline.now.nanosecondsSinceEpoch
        return nanosecondsSinceEpoch > now ? .nanoseconds(Int64(nanosecondsSinceEpoch - now)) : .zero
    }

    public static func < (lhs: Deadline, rhs: Deadline) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }
}
