/// Why a generation ended.
public enum FinishReason: Sendable, Hashable {
    /// The model generated one of the request's stop token ids.
    case stop
    /// The request's `maxTokens` were generated.
    case length
    /// The sequence was cancelled (normally because the HTTP layer called `GenerationStream.cancel()`).
    case cancelled
    /// The sequence could not continue (e.g. a stage died and could not be recovered); the message says why.
    case failed(String)
}

/// One event of a generation stream.
public enum GenerationEvent: Sendable, Hashable {
    /// A generated token: its position among the generated tokens (0, 1, 2…) and its id.
    case token(index: Int, id: Int32)
    /// The last event of every stream.
    case finished(FinishReason)
}

/// The tokens of one generation, as the service produces them, plus a way to stop it early.
///
/// A service builds one from an `AsyncStream` it feeds and a cancel action that frees the sequence:
///
/// ```swift
/// let (events, continuation) = AsyncStream.makeStream(of: GenerationEvent.self)
/// return GenerationStream(events) { pipeline.cancel(sequence) }
/// ```
public struct GenerationStream: AsyncSequence, Sendable {
    /// The events, in order.
    public typealias Element = GenerationEvent
    /// Iterates the events.
    public typealias AsyncIterator = AsyncStream<GenerationEvent>.Iterator

    private let events: AsyncStream<GenerationEvent>
    private let onCancel: @Sendable () -> Void

    /// Wraps `events`; `onCancel` runs when the reader gives up before the `.finished` event.
    ///
    /// `onCancel` may be called more than once and after the stream finished; it must then do nothing.
    public init(_ events: AsyncStream<GenerationEvent>, onCancel: @escaping @Sendable () -> Void) {
        self.events = events
        self.onCancel = onCancel
    }

    /// Tells the service to stop generating and free the sequence (the client went away, or a stop string
    /// matched). Safe to call at any time, more than once.
    public func cancel() {
        onCancel()
    }

    /// Returns an iterator over the events.
    public func makeAsyncIterator() -> AsyncStream<GenerationEvent>.Iterator {
        events.makeAsyncIterator()
    }
}
