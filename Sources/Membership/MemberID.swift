/// SWIM + Lifeguard failure detection for Brigade, written by hand (no maintained Swift library fits: see
/// research/membership-and-actors.md §1 and §5). This module is the *instance*: a pure state machine with no
/// threads, clocks or I/O. A *shell* (module `MembershipShell`, or the simulator) feeds it inputs and carries out
/// the *directives* it returns.

/// One life of a member: its stable `name` plus a `uid` that is new on every process start (the transport's
/// `NodeID.incarnation`). A restarted process is a new member; its old life stays dead.
///
/// `uid` 0 means "whichever life answers": it is used only to address seed nodes whose uid is not known yet.
public struct MemberID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Unique in a cluster; at most 255 UTF-8 bytes on the wire.
    public var name: String
    /// Non-zero for a real member; larger for a later start of the same name.
    public var uid: UInt64

    public init(name: String, uid: UInt64) {
        self.name = name
        self.uid = uid
    }

    public static func < (lhs: MemberID, rhs: MemberID) -> Bool {
        (lhs.name, lhs.uid) < (rhs.name, rhs.uid)
    }

    public var description: String { "\(name)#\(uid)" }
}

/// A point in monotonic time, in nanoseconds since an origin the shell picks (process start, or 0 in a simulation).
/// The instance never reads a clock: every input carries `now`.
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Timestamp(nanoseconds: 0)

    public static func milliseconds(_ ms: Int64) -> Timestamp { Timestamp(nanoseconds: ms &* 1_000_000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// `self` moved by `nanoseconds` (saturating, so a huge timeout cannot overflow).
    public func adding(nanoseconds delta: Int64) -> Timestamp {
        Timestamp(nanoseconds: nanoseconds.addingReportingOverflow(delta).overflow ? .max : nanoseconds + delta)
    }

    /// Nanoseconds from `earlier` to `self`.
    public func since(_ earlier: Timestamp) -> Int64 { nanoseconds &- earlier.nanoseconds }

    public var description: String { "\(Double(nanoseconds) / 1e6)ms" }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max`.
    var nanosecondCount: Int64 {
        let (seconds, attoseconds) = components
        let (secNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return secNanos &+ attoseconds / 1_000_000_000
    }
}
