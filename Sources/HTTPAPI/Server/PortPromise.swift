import Synchronization

/// The port a server ends up listening on, awaited by callers that started it with port 0.
final class PortPromise: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))

    /// Records the bound port (nil: the socket had none, reported as a failure). Only the first outcome counts.
    func fulfil(_ port: Int?) {
        guard let port else { return fail(APIServerError("the listening socket has no port")) }
        settle(.bound(port))
    }

    /// Records that the server stopped before listening. Ignored once a port was recorded.
    func fail(_ error: any Error) {
        settle(.failed(error))
    }

    /// Waits for the outcome.
    func value() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = state.withLock { state in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                case .bound(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private func settle(_ outcome: State) {
        let waiters: [CheckedContinuation<Int, any Error>] = state.withLock { state in
            guard case .waiting(let waiters) = state else { return [] }
            state = outcome
            return waiters
        }
        for waiter in waiters {
            switch outcome {
            case .bound(let port): waiter.resume(returning: port)
            case .failed(let error): waiter.resume(throwing: error)
            case .waiting: break
            }
        }
    }
}
