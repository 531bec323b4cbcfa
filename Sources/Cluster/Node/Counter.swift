import Synchronization

/// A shareable event counter.
final class Counter: Sendable {
    private let atomic = Atomic<UInt64>(0)
    func increment() { atomic.add(1, ordering: .relaxed) }
    var value: UInt64 { atomic.load(ordering: .relaxed) }
}
