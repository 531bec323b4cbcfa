import Tokenizer

/// What a finished generation produced, beyond its text.
struct GenerationOutcome: Sendable, Equatable {
    /// "stop" (a stop token or stop string) or "length" (`max_tokens` reached).
    var finishReason: String
    /// Tokens generated, counting an end-of-generation token.
    var completionTokens: Int
}

/// Turns a service's token stream into text for the client: detokenizes without splitting characters, hides
/// end-of-generation tokens, cuts at stop strings (holding back text that may start one), enforces `maxTokens`,
/// and records time to first token, inter-token latency and token counts.
struct TextGeneration {
    /// The model's tokenizer.
    var tokenizer: BPETokenizer
    /// Ids that end the generation; they count as tokens but are not shown.
    var stopTokenIDs: Set<Int32>
    /// Strings that end the generation; not shown.
    var stopStrings: [String]
    /// The most tokens to accept.
    var maxTokens: Int
    /// When the request arrived (for time to first token).
    var started: ContinuousClock.Instant

    /// Reads `lease`'s stream to its end, passing each piece of text to `emit` as soon as it is safe to show.
    ///
    /// Stops early, cancelling the sequence, when a stop string matches, `maxTokens` is reached, `emit` throws
    /// (client gone) or the task is cancelled.
    /// - Throws: `APIError.generationFailed` when the service reports a failure or cancels on its own;
    ///   `CancellationError` when the task was cancelled; whatever `emit` throws.
    func run(_ lease: GenerationLease, emit: (String) async throws -> Void) async throws -> GenerationOutcome {
        var decoder = TokenDecoder(tokenizer, skipSpecial: true)
        var matcher = StopStringMatcher(stopStrings)
        let clock = ContinuousClock()
        var last = started
        var count = 0
        var cancelOnExit = true
        defer { lease.end(cancel: cancelOnExit) }

        for await event in lease.stream {
            switch event {
            case .token(let index, let id):
                guard index >= count else { continue }  // a repeated index: delivered once already
                guard index == count else {
                    throw APIError.generationFailed("the inference service skipped from token \(count) to \(index)")
                }
                let now = clock.now
                if count == 0 {
                    lease.firstTokenArrived()
                    lease.metrics.ttft.record(now - started)
                } else {
                    lease.metrics.itl.record(now - last)
                }
                last = now
                count += 1
                lease.metrics.generated.increment()

                if !stopTokenIDs.contains(id) {
                    let (text, stopped) = matcher.append(decoder.append(id))
                    if !text.isEmpty { try await emit(text) }
                    if stopped { return GenerationOutcome(finishReason: "stop", completionTokens: count) }
                }
                if count >= maxTokens {
                    try await flush(&decoder, &matcher, emit)
                    return GenerationOutcome(finishReason: "length", completionTokens: count)
                }

            case .finished(let reason):
                cancelOnExit = false
                switch reason {
                case .stop, .length:
                    try await flush(&decoder, &matcher, emit)
                    return GenerationOutcome(finishReason: reason == .stop ? "stop" : "length", completionTokens: count)
                case .cancelled:
                    throw APIError.generationFailed("the generation was cancelled by the inference service")
                case .failed(let message):
                    throw APIError.generationFailed("the generation failed: \(message)")
                }
            }
        }
        try Task.checkCancellation()
        throw APIError.internalError("the inference service ended the token stream without a finish event")
    }

    /// Sends what the decoder and matcher still hold.
    private func flush(
        _ decoder: inout TokenDecoder, _ matcher: inout StopStringMatcher, _ emit: (String) async throws -> Void
    ) async throws {
        let (text, stopped) = matcher.append(decoder.finish())
        let rest = stopped ? "" : matcher.finish()
        if !(text + rest).isEmpty { try await emit(text + rest) }
    }
}
