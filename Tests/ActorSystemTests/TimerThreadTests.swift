import Synchronization
import Testing
import Transport
@testable import ActorSystem

@Suite struct TimerThreadTests {
    @Test func firesInDeadlineOrder() async throws {
        let fired = Recorder<UInt64>()
        let timers = TimerThread(fire: { event in
            if case .callDeadline(let id) = event { fired.append(id) }
        }, isLive: { _ in true })
        defer { timers.stop() }
        for (id, ms) in [(3, 30), (1, 10), (2, 20)] as [(UInt64, Int)] {
            timers.schedule(.callDeadline(id), after: .milliseconds(ms))
        }
        #expect(try await fired.wait(for: 3) == [1, 2, 3])
    }

    @Test func answeredEntriesDoNotPileUp() {
        let live = Atomic<UInt64>(0)
        let timers = TimerThread(fire: { _ in }, isLive: { event in
            if case .callDeadline(let id) = event { return id >= live.load(ordering: .relaxed) }
            return true
        })
        defer { timers.stop() }
        // 200,000 calls with an hour-long deadline, all but the last 10 answered.
        for id in 0..<UInt64(200_000) {
            live.store(id > 10 ? id - 10 : 0, ordering: .relaxed)
            timers.schedule(.callDeadline(id), after: .seconds(3600))
        }
        #expect(timers.count < 70_000)
    }
}
