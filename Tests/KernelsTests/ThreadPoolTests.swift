import Kernels
import Synchronization
import Testing

@Suite struct ThreadPoolTests {
    @Test(arguments: [1, 2, 3, 8]) func everyItemRunsExactlyOnce(threads: Int) throws {
        let pool = try ThreadPool(threads: threads)
        #expect(pool.threads == threads)
        for round in 0..<200 {  // many short tasks back to back, as a forward pass issues them
            let count = 1 + round % 37
            let hits = Mutex([Int](repeating: 0, count: count))
            pool.forEach(count) { i in hits.withLock { $0[i] += 1 } }
            #expect(hits.withLock { $0 } == [Int](repeating: 1, count: count), "round \(round)")
        }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func poolsCanBeSharedAcrossThreads() async throws {
        let pool = try ThreadPool(threads: 3)
        let total = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { for _ in 0..<50 { pool.forEach(10) { _ in total.value.add(1, ordering: .relaxed) } } }
            }
        }
        #expect(total.value.load(ordering: .relaxed) == 4 * 50 * 10)
    }

    /// Parking (a pipeline stage going idle) sends the workers to sleep; the next task wakes them and still runs
    /// every item once, also when other threads park and wake the pool while tasks run.
    @Test func parkedPoolsWakeForTheNextTask() async throws {
        let pool = try ThreadPool(threads: 3)
        for round in 0..<100 {
            pool.park()
            let hits = Mutex([Int](repeating: 0, count: 16))
            pool.forEach(16) { i in hits.withLock { $0[i] += 1 } }
            #expect(hits.withLock { $0 } == [Int](repeating: 1, count: 16), "round \(round)")
        }
        let total = Counter()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for _ in 0..<200 { pool.forEach(8) { _ in total.value.add(1, ordering: .relaxed) } } }
            group.addTask { for _ in 0..<200 { pool.park(); await Task.yield() } }
            group.addTask { for _ in 0..<200 { pool.wake(); await Task.yield() } }
        }
        #expect(total.value.load(ordering: .relaxed) == 200 * 8)
        // Woken early (a stage's input arrived), with and without a task following, the pool still runs every item.
        for round in 0..<50 {
            pool.park()
            pool.wake()
            if round % 2 == 0 { pool.wake() }
            let hits = Mutex([Int](repeating: 0, count: 9))
            pool.forEach(9) { i in hits.withLock { $0[i] += 1 } }
            #expect(hits.withLock { $0 } == [Int](repeating: 1, count: 9), "round \(round)")
        }
    }

    @Test func aZeroThreadRequestGivesOne() throws {
        #expect(try ThreadPool(threads: 0).threads == 1)
        #expect(ThreadPool.defaultThreadCount >= 1)
    }
}
