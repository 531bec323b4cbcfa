import Locks
import Synchronization

/// Collects values from callbacks on other threads and lets a test wait, with a deadline, until enough arrived.
final class Recorder<Value: Sendable>: Sendable {
    struct TimedOut: Error, CustomStringConvertible {
        var wanted: Int
        var got: Int
        var description: String { "waited for \(wanted) values, got \(got)" }
    }

    private struct State {
        var values: [Value] = []
        var waiters: [(id: Int, count: Int, continuation: CheckedContinuation<[Value], any Error>)] = []
        var nextID = 0
    }

    private let state = Locked(State())

    init() {}

    func append(_ value: Value) {
        let ready = state.withLock { state -> [(CheckedContinuation<[Value], any Error>, [Value])] in
            state.values.append(value)
            let values = state.values
            let ready = state.waiters.filter { $0.count <= values.count }
            state.waiters.removeAll { $0.count <= values.count }
            return ready.map { ($0.continuation, values) }
        }
        for (continuation, values) in ready { continuation.resume(returning: values) }
    }

    var values: [Value] { state.withLock { $0.values } }

    /// Waits until at least `count` values arrived, or throws `TimedOut` after `timeout`.
    @discardableResult
    func wait(for count: Int, timeout: Duration = .seconds(10)) async throws -> [Value] {
        try await withCheckedThrowingContinuation { continuation in
            let id = state.withLock { state -> Int? in
                if state.values.count >= count { return nil }
                state.nextID += 1
                state.waiters.append((state.nextID, count, continuation))
                return state.nextID
            }
            guard let id else {
                continuation.resume(returning: values)
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { state -> CheckedContinuation<[Value], any Error>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                expired?.resume(throwing: TimedOut(wanted: count, got: self.values.count))
            }
        }
    }
}
