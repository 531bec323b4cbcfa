#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds on the monotonic clock (CLOCK_MONOTONIC): for timers and latency measurements, never for deadlines
/// that cross processes.
@inlinable
public func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

/// Identifies a timer scheduled on an `IOThread`, to cancel it.
public struct IOTimerID: Hashable, Sendable {
    let value: UInt64
}

/// A min-heap of timers ordered by due time, then by the order they were scheduled. Confined to one thread.
struct TimerQueue {
    private struct Entry {
        var due: UInt64
        var id: UInt64
        var action: () -> Void
    }

    private var heap: [Entry] = []
    private var cancelled: Set<UInt64> = []
    private var nextID: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }

    /// Adds `action`, due at `due` (monotonic ns).
    mutating func schedule(at due: UInt64, _ action: @escaping () -> Void) -> IOTimerID {
        nextID += 1
        heap.append(Entry(due: due, id: nextID, action: action))
        siftUp(heap.count - 1)
        return IOTimerID(value: nextID)
    }

    /// Forgets a timer that has not fired; a no-op for one that has.
    mutating func cancel(_ id: IOTimerID) {
        if heap.contains(where: { $0.id == id.value }) { cancelled.insert(id.value) }
    }

    /// The due time of the earliest live timer.
    mutating func nextDue() -> UInt64? {
        dropCancelledTop()
        return heap.first?.due
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        dropCancelledTop()
        guard let top = heap.first, top.due <= now else { return nil }
        return removeTop().action
    }

    private mutating func dropCancelledTop() {
        while let top = heap.first, cancelled.contains(top.id) {
            cancelled.remove(top.id)
            _ = removeTop()
        }
    }

    private mutating func removeTop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return top
    }

    private func before(_ a: Int, _ b: Int) -> Bool {
        heap[a].due != heap[b].due ? heap[a].due < heap[b].due : heap[a].id < heap[b].id
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, before(left, smallest) { smallest = left }
            if right < heap.count, before(right, smallest) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
