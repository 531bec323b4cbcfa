/// How to pick each next token. Neutral values switch a filter off.
public struct SamplingParameters: Sendable, Hashable, Codable {
    /// Softmax temperature; 0 means greedy (always the most likely token).
    public var temperature: Float
    /// Nucleus sampling: keep the smallest set of tokens whose probability sums to at least this; 1 keeps all.
    public var topP: Float
    /// Keep only the k most likely tokens; 0 keeps all.
    public var topK: Int
    /// Seed for the random choice, for repeatable sampling; nil lets the service choose.
    public var seed: UInt64?

    /// Creates sampling settings; the defaults sample from the full distribution at temperature 1.
    public init(temperature: Float = 1, topP: Float = 1, topK: Int = 0, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.seed = seed
    }
}

/// One generation, in native values only: the HTTP layer has already tokenized the prompt.
public struct GenerationRequest: Sendable {
    /// An id for logs and tracing (the HTTP request id).
    public var requestID: String
    /// The served model's name, as in `ServedModel.name`.
    public var model: String
    /// The prompt's token ids, never empty.
    public var promptTokens: [Int32]
    /// The most tokens to generate (≥ 1); the stream then finishes with `.length`.
    public var maxTokens: Int
    /// How to pick tokens.
    public var sampling: SamplingParameters
    /// Ids that end the generation (end-of-sequence, end-of-turn). The service stops right after generating one of
    /// them: that token is still yielded (it counts as generated) and the stream finishes with `.stop`.
    public var stopTokenIDs: Set<Int32>

    /// Creates a generation request.
    public init(
        requestID: String,
        model: String,
        promptTokens: [Int32],
        maxTokens: Int,
        sampling: SamplingParameters,
        stopTokenIDs: Set<Int32>
    ) {
        self.requestID = requestID
        self.model = model
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopTokenIDs = stopTokenIDs
    }
}
