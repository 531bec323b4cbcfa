#if canImport(Glibc)
import Glibc
#endif
import Locks
import Transport

/// One thread that fires the actor system's timers: call deadlines and disconnect grace periods.
///
/// A call adds one entry (no task, no closure); entries are not removed when a call is answered: a timer that fires
/// for a call already answered finds nothing to do. So that long deadlines cannot pile up entries, the heap is
/// compacted (entries for which `isLive` is false dropped) whenever it doubles past the last compaction. The thread
/// sleeps until the earliest entry is due and is woken only when a new entry is earlier than every other. Entries
/// fire up to `resolution` late, in batches: otherwise calls a few hundred µs apart would wake the thread once per
/// call when their deadlines come due, answered or not.
final class TimerThread: @unchecked Sendable {
    enum Event {
        case callDeadline(UInt64)
        case slotWait(UInt64)
        case disconnectGrace(peer: String, generation: UInt64)
    }

    private struct Entry {
        var due: UInt64
        var event: Event
    }

    private let lock = ConditionLock()
    private var heap: [Entry] = []
    private var stopping = false
    private var compactAt = TimerThread.minimumCompaction
    /// How late an entry may fire, so that entries due close together fire in one wake-up.
    static let resolution: UInt64 = 2_000_000
    private static let minimumCompaction = 1 << 16
    private let fire: @Sendable (Event) -> Void
    private let isLive: @Sendable (Event) -> Bool

    /// - Parameters:
    ///   - fire: called on the timer thread when an entry is due.
    ///   - isLive: whether an entry still matters (called under the timer's lock, during compaction).
    init(fire: @escaping @Sendable (Event) -> Void, isLive: @escaping @Sendable (Event) -> Bool) {
        self.fire = fire
        self.isLive = isLive
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            let thread = Unmanaged<TimerThread>.fromOpaque(raw!).takeRetainedValue()
            thread.run()
            return nil
        }, box.toOpaque())
        precondition(result == 0, "pthread_create failed for the actor system's timer thread: \(result)")
        pthread_detach(handle)
    }

    /// Fires `event` at the wall-clock `deadline`.
    func schedule(_ event: Event, at deadline: Deadline) {
        let now = Deadline.now.nanosecondsSinceEpoch
        let wait = deadline.nanosecondsSinceEpoch > now ? deadline.nanosecondsSinceEpoch - now : 0
        schedule(event, afterNanoseconds: wait)
    }

    /// Fires `event` after `delay`.
    func schedule(_ event: Event, after delay: Duration) {
        let (seconds, attoseconds) = delay.components
        schedule(event, afterNanoseconds: UInt64(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
    }

    private func schedule(_ event: Event, afterNanoseconds wait: UInt64) {
        let entry = Entry(due: ConditionLock.monotonicNow() &+ wait, event: event)
        let wake = lock.withLock { () -> Bool in
            let earliest = heap.first?.due
            push(entry)
            if heap.count >= compactAt { compact() }
            return earliest.map { entry.due + Self.resolution < $0 } ?? true
        }
        if wake { lock.signal() }
    }

    /// Ends the thread; timers not yet due never fire.
    func stop() {
        lock.withLock { stopping = true }
        lock.signal()
    }

    private func run() {
        var blocked = sigset_t()
        sigfillset(&blocked)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        lock.lock()
        while !stopping {
            if let first = heap.first, first.due <= ConditionLock.monotonicNow() {
                let entry = pop()
                lock.unlock()
                fire(entry.event)
                lock.lock()
                continue
            }
            lock.wait(untilMonotonic: heap.first.map { $0.due + Self.resolution })
        }
        heap.removeAll()
        lock.unlock()
    }

    /// Number of entries waiting (live or not), for tests.
    var count: Int { lock.withLock { heap.count } }

    private func compact() {
        let live = heap.filter { isLive($0.event) }
        heap.removeAll(keepingCapacity: true)
        for entry in live { push(entry) }
        compactAt = max(Self.minimumCompaction, 2 * heap.count)
    }

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func pop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
                if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
