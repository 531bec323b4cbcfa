import Synchronization

/// One started generation, owned by the request answering it: cancels the sequence and settles the gauges exactly
/// once, however the request ends — finished, failed, client gone, or the response dropped before its body ran.
final class GenerationLease: Sendable {
    /// The service's stream.
    let stream: GenerationStream
    /// Where this generation records.
    let metrics: GenerationMetrics

    private struct State {
        var waiting = true
        var ended = false
    }

    private let state = Mutex(State())

    /// Takes over a stream the service just returned; the caller has already counted it in the queue-depth and
    /// in-flight gauges (`GenerationLease.admit`).
    init(stream: GenerationStream, metrics: GenerationMetrics) {
        self.stream = stream
        self.metrics = metrics
    }

    /// Counts a generation about to be requested from the service; call `release(admitted:)` if that fails.
    static func admit(_ metrics: GenerationMetrics) {
        metrics.queueDepth.increment()
        metrics.inFlight.increment()
    }

    /// Undoes `admit` for a generation the service refused.
    static func refuse(_ metrics: GenerationMetrics) {
        metrics.queueDepth.decrement()
        metrics.inFlight.decrement()
    }

    /// Notes the first token: the generation leaves the queue.
    func firstTokenArrived() {
        let leftQueue = state.withLock { state in
            defer { state.waiting = false }
            return state.waiting && !state.ended
        }
        if leftQueue { metrics.queueDepth.decrement() }
    }

    /// Ends the lease; with `cancel`, tells the service to stop the sequence. Later calls do nothing.
    func end(cancel: Bool) {
        let (first, wasWaiting) = state.withLock { state in
            defer {
                state.ended = true
                state.waiting = false
            }
            return (!state.ended, state.waiting)
        }
        guard first else { return }
        if wasWaiting { metrics.queueDepth.decrement() }
        metrics.inFlight.decrement()
        if cancel { stream.cancel() }
    }

    deinit {
        end(cancel: true)
    }
}
