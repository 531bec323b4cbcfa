import Foundation

/// One thread that calls `fire` when the instance's next tick is due. `schedule` moves the due time; the thread
/// sleeps on a condition until then (the instance changes its interval with local health, so there is no fixed
/// period).
final class TickThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var due: UInt64?
    private var stopped = false

    init(fire: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            Thread.current.name = "membership-ticks"
            run(fire)
        }
    }

    /// Fires at the monotonic time `at` (nanoseconds, `MembershipShell.monotonicNow`), replacing the earlier one.
    func schedule(at nanoseconds: UInt64) {
        condition.lock()
        due = nanoseconds
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run(_ fire: @Sendable () -> Void) {
        while true {
            condition.lock()
            while !stopped {
                let now = MembershipShell.monotonicNow
                if let due, due <= now { break }
                let wait = due.map { Double($0 - now) / 1e9 } ?? 1
                _ = condition.wait(until: Date(timeIntervalSinceNow: wait))
            }
            if stopped {
                condition.unlock()
                return
            }
            due = nil
            condition.unlock()
            fire()
        }
    }
}
