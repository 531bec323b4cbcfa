import Kernels

/// Why generation ended.
public enum FinishReason: String, Sendable, Hashable, Codable {
    /// A stop token or stop string was produced.
    case stop
    /// `maxTokens` were produced, or the context is full.
    case length
}

/// One generation: the prompt, how to sample, and when to stop.
public struct GenerationRequest: Sendable, Hashable {
    /// The prompt's token ids.
    public var prompt: [Int32]
    /// How tokens are chosen.
    public var sampling: SamplingParameters
    /// The most tokens to generate.
    public var maxTokens: Int
    /// Tokens that end generation (not reported as output), e.g. the tokenizer's end-of-generation ids.
    public var stopTokenIDs: Set<Int32>

    /// Creates a request.
    public init(prompt: [Int32], sampling: SamplingParameters = .greedy, maxTokens: Int = 128, stopTokenIDs: Set<Int32> = []) {
        self.prompt = prompt
        self.sampling = sampling
        self.maxTokens = maxTokens
        self.stopTokenIDs = stopTokenIDs
    }
}

/// What a generation produced.
public struct GenerationResult: Sendable, Hashable {
    /// The generated tokens, stop token excluded.
    public var tokens: [Int32]
    /// Why it ended.
    public var finishReason: FinishReason
}

extension LocalPipeline {
    /// Prefills the prompt, then decodes one token per step until a stop token, `maxTokens`, the context limit, or
    /// `onToken` returning false (a stop string: finish reason `.stop`). The sequence is freed at the end.
    /// - Throws: `EngineError` from the stages or the sampler (a prompt longer than the context is
    ///   `.contextOverflow`).
    public func generate(
        _ request: GenerationRequest, sequence: SequenceID = 0, onToken: (Int32) throws -> Bool
    ) throws -> GenerationResult {
        guard !request.prompt.isEmpty else { throw EngineError(.invalidInput, "the prompt has no tokens") }
        var sampler = try Sampler(request.sampling)
        defer { free(sequence) }
        var position = 0
        var input = request.prompt
        var tokens: [Int32] = []
        while tokens.count < request.maxTokens {
            let output = try forward([.tokens(sequence, at: position, input)])[0]
            position = output.nextPosition
            let token = try sampler.sample(output.logits ?? [], sequence: sequence)
            if request.stopTokenIDs.contains(token) { return GenerationResult(tokens: tokens, finishReason: .stop) }
            tokens.append(token)
            if try !onToken(token) { return GenerationResult(tokens: tokens, finishReason: .stop) }
            if position >= config.contextLength { break }
            input = [token]
        }
        return GenerationResult(tokens: tokens, finishReason: .length)
    }
}
